"""Use cases shared by the flows, the CLI and the web app; each owns its transaction."""
