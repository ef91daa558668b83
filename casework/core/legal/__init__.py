"""The law of penalty notices and prosecutions as pure functions over frozen facts."""
