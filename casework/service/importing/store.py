"""Bulk reads and writes for CSV imports: one query per table to load what validation needs,
and chunked executemany inserts (`ON CONFLICT DO NOTHING`, or `DO UPDATE` for upserts).

Dialect-specific inserts are chosen by the connection, so the same code writes SQLite and
PostgreSQL. Records are the frozen values of `casework.core.imports`; their field names are the
column names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import time
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from casework.core.imports.calendar import CalendarRecord
from casework.core.imports.contacts import ContactRecord
from casework.core.imports.pupils import PupilRecord
from casework.core.imports.rows import RowError
from casework.core.imports.schools import SchoolRecord
from casework.db import tables as _tables  # noqa: F401  (registers every table on the metadata)
from casework.db.driver_rows import driver_rows

CHUNK_ROWS = 5_000

R = TypeVar("R")

SCHOOLS: sa.Table = SQLModel.metadata.tables["schools"]
CALENDAR: sa.Table = SQLModel.metadata.tables["calendar_entries"]
PUPILS: sa.Table = SQLModel.metadata.tables["pupils"]
CONTACTS: sa.Table = SQLModel.metadata.tables["contacts"]
MARKS: sa.Table = SQLModel.metadata.tables["marks"]
QUARANTINE: sa.Table = SQLModel.metadata.tables["quarantined_rows"]
BATCHES: sa.Table = SQLModel.metadata.tables["import_batches"]


def load_records(session: Session, table: sa.Table, record_type: Callable[..., R]) -> list[R]:
    """Every row of `table` as a record (the record's fields name the columns, in order)."""
    names = [f.name for f in dataclasses.fields(record_type)]  # type: ignore[arg-type]
    query = sa.select(*(table.c[name] for name in names))
    return [record_type(*row) for row in session.execute(query)]


def load_schools(session: Session) -> dict[str, SchoolRecord]:
    return {s.urn: s for s in load_records(session, SCHOOLS, SchoolRecord)}


def load_calendar(session: Session) -> set[CalendarRecord]:
    return set(load_records(session, CALENDAR, CalendarRecord))


def load_pupils(session: Session) -> dict[str, PupilRecord]:
    return {p.upn: p for p in load_records(session, PUPILS, PupilRecord)}


def load_contacts(session: Session) -> dict[str, ContactRecord]:
    return {c.contact_id: c for c in load_records(session, CONTACTS, ContactRecord)}


def load_urns(session: Session) -> set[str]:
    return set(session.execute(sa.select(SCHOOLS.c.urn)).scalars())


def load_upns(session: Session) -> set[str]:
    return set(session.execute(sa.select(PUPILS.c.upn)).scalars())


def load_pupil_schools(session: Session) -> dict[str, str]:
    """upn -> urn of the pupil's school."""
    # The driver's tuples: a large LA's marks file asks for 100,000 pupils, both columns text.
    return dict(driver_rows(session, sa.select(PUPILS.c.upn, PUPILS.c.urn)))


def load_close_times(session: Session) -> dict[str, tuple[time, time]]:
    query = sa.select(SCHOOLS.c.urn, SCHOOLS.c.am_register_closes, SCHOOLS.c.pm_register_closes)
    return {urn: (am, pm) for urn, am, pm in session.execute(query)}


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_ignoring_duplicates(
    session: Session, table: sa.Table, values: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, in executemany chunks."""
    if values:
        write_chunks(session, _insert(session, table).on_conflict_do_nothing(), values)


def upsert(
    session: Session, table: sa.Table, values: Sequence[Mapping[str, Any]], key: str
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE every other column, in executemany chunks."""
    if not values:
        return
    stmt = _insert(session, table)
    updates = {name: stmt.excluded[name] for name in values[0] if name != key}
    write_chunks(session, stmt.on_conflict_do_update(index_elements=[key], set_=updates), values)


def write_chunks(session: Session, stmt: Any, values: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(values), CHUNK_ROWS):
        session.execute(stmt, values[start : start + CHUNK_ROWS])


def as_rows(records: Iterable[Any]) -> list[dict[str, Any]]:
    """Dataclass records as column -> value mappings."""
    return [dataclasses.asdict(r) for r in records]


def quarantine(session: Session, batch_id: int, kind: str, errors: Sequence[RowError]) -> None:
    values = [
        {"batch_id": batch_id, "kind": kind, "row_no": e.row_no, "reason": e.reason, "raw": e.raw}
        for e in errors
    ]
    insert_ignoring_duplicates(session, QUARANTINE, values)
