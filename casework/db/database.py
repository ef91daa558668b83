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


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened; the message is one line for a person."""


def _check_sqlite_folder(settings: Settings) -> None:
    """A configured SQLite file may be new, but its folder must exist: a mistyped path is an
    error, not a fresh empty database. The default one in the var folder is made as needed."""
    url = settings.database_url
    if not url.startswith("sqlite") or ":memory:" in url:
        return
    folder = Path(url.split("///", 1)[-1]).parent
    if not folder.is_dir():
        raise DatabaseUnavailable(
            f"the folder {folder} for the SQLite database does not exist: check "
            "PATHWAY_DATABASE_URL (a new database file is made only in an existing folder)"
        )


def _where(url: str) -> str:
    """The URL without its credentials, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True).split("@")[-1]


def open_database(settings: Settings) -> Engine:
    """The engine, after bringing the schema to head (cheap when it already is).

    DatabaseUnavailable (one line) when the SQLite folder is missing or the server cannot be
    reached.
    """
    make_var_private(settings)
    url = settings.effective_database_url
    _check_sqlite_folder(settings)
    engine = get_engine(url)
    try:
        _bring_to_head(engine, url)
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if (exc.orig or exc) else ""
        raise DatabaseUnavailable(f"cannot reach the database at {_where(url)}: {reason}") from None
    register_anchor(engine, settings.audit_anchor_path)
    return engine


def _bring_to_head(engine: Engine, url: str) -> None:
    if url not in _migrated:
        if _current_revision(engine) != _head_revision():
            from casework.db.migrate import (
                upgrade,  # Alembic costs ~1 s to import: only when needed
            )

            upgrade(url)
        _migrated.add(url)
