"""The demo: a synthetic LA seeded, imported and replayed, with a few legal cases decided."""
