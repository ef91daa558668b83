"""Persistence: tables, engine and sessions, migrations, snapshots for the core, the audit log."""
