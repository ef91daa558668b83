"""Persistence: tables, engine/session, migrations, snapshots for the core, and the persist step."""
