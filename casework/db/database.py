"""Open the app database for a use case: the engine for the configured URL, migrated to head."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.db.audit_anchor import register_anchor
from casework.db.session import get_engine
from casework.settings import Settings, make_var_private

_migrated: set[str] = set()


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _head_revision() -> str:
    heads = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    return heads[-1]


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("pathway_alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM pathway_alembic_version").scalar()


def open_database(settings: Settings) -> Engine:
    """The engine, after bringing the schema to head (cheap when it already is)."""
    make_var_private(settings)
    url = settings.effective_database_url
    engine = get_engine(url)
    if url not in _migrated:
        if _current_revision(engine) != _head_revision():
            from casework.db.migrate import (
                upgrade,  # Alembic costs ~1 s to import: only when needed
            )

            upgrade(url)
        _migrated.add(url)
    register_anchor(engine, settings.audit_anchor_path)
    return engine
