"""The functional core: pure rules over frozen facts, with no I/O, no clock and no framework."""
