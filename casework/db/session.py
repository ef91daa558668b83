"""Engine and session factory: PostgreSQL or SQLite by URL; SQLite in WAL with BEGIN IMMEDIATE."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

_engines: dict[str, Engine] = {}
_SNAPSHOT = "pathway_snapshot"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that `begin` below can say IMMEDIATE:
        # a deferred BEGIN upgraded to a write is not retried by busy_timeout (STACK.md §7).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-262144")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A snapshot read (WAL) takes no lock, so sweeps of other schools read side by side.
        snapshot = conn.get_execution_options().get(_SNAPSHOT, False)
        conn.exec_driver_sql("BEGIN" if snapshot else "BEGIN IMMEDIATE")


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The default random_page_cost (4.0) prices a page read by index as a disk seek, which
        # an SSD, or a database held in memory, does not pay: the sweep's read of a large
        # school's contacts by its pupils became a parallel scan of every contact in the LA
        # (20 ms a school, against 1.5 ms by index; a third of the server's CPU in a sweep).
        # 1.1 is the usual value for SSDs. A SET after connecting, not a startup option, which
        # a connection pooler such as PgBouncer may refuse.
        with dbapi_conn.cursor() as cur:
            cur.execute("SET random_page_cost = 1.1")
        dbapi_conn.commit()


def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    if url not in _engines:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
            _configure_sqlite(engine)
        else:
            # A deployed sweep holds a connection on each of its school threads while its
            # sending claims and records on others (flows/daily_sweep.py): room for both.
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            _configure_postgres(engine)
        _engines[url] = engine
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commits on success, rolls back on any error. Helpers never commit."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """One read-only transaction over a consistent snapshot; it must not write.

    On SQLite it begins DEFERRED (no write lock is taken, WAL readers see one snapshot); on
    PostgreSQL it is REPEATABLE READ, so every query of it sees the same committed state.
    """
    options: dict[str, Any] = {_SNAPSHOT: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    # Closing ends the transaction without a commit and leaves what was loaded readable.
    with Session(engine.execution_options(**options), expire_on_commit=False) as session:
        yield session


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
