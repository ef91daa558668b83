"""Fast bulk paths for register marks, the one import measured in hundreds of thousands of rows.

SQLAlchemy's per-row type processing is most of the cost of moving 200,000 marks, yet a marks
file has only a few hundred distinct dates and register-close times. So values are converted
with SQLAlchemy's own processors for the dialect, once per distinct value, and the rows go to the
driver directly: on SQLite one INSERT ... SELECT ... FROM json_each(?) ON CONFLICT DO NOTHING
for each part, on PostgreSQL a COPY straight into `marks` (through a staging table and INSERT
... ON CONFLICT DO NOTHING only when another writer stored one of the part's versions first).
Each part of the file is written on a writer thread while the next part is checked
(`insert_marks_as_checked`), so checking (Python) and writing (the database) overlap.

On SQLite the row trigger that records dirty school days for the tallies (migration 0006) cost
as much as the rest of the insert together (SQLite has no statement-level triggers). The bulk
insert therefore lifts it for its own transaction, records its school days itself and puts the
trigger back as the schema holds it; SQLite's single writer means no other insert can happen
in between, and a rollback restores it anyway. On PostgreSQL the statement trigger's INSERT
... SELECT DISTINCT over every COPY cost a tenth of the import: the transaction tells it to
skip (migration 0017, a setting of the transaction's own) and records its days itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from queue import Queue
from threading import Thread
from typing import Any, TypeVar

import sqlalchemy as sa
from psycopg.errors import UniqueViolation
from sqlmodel import Session

from casework.core.imports.marks import MarkKey, MarkRecord, MarkScope, StoredMark
from casework.service.importing.store import MARKS

CHUNK_ROWS = 20_000  # marks per executemany or COPY; the progress bar moves once a chunk

INSERTED = (*MarkRecord._fields, "batch_id")
Part = tuple[Sequence[MarkRecord], int]  # a part's new marks, and how many rows it covered
Convert = Callable[[Any], Any]
T = TypeVar("T")


def _memo(convert: Convert | None) -> Convert:
    """`convert` remembered per distinct value (dates and close times repeat endlessly)."""
    if convert is None:
        return lambda value: value
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = found = convert(value)
            return found

    return cached


def _bind(session: Session, column: str) -> Convert:
    dialect = session.get_bind().dialect
    return _memo(MARKS.c[column].type.dialect_impl(dialect).bind_processor(dialect))


def _result(session: Session, column: str) -> Convert:
    dialect = session.get_bind().dialect
    impl = MARKS.c[column].type.dialect_impl(dialect)
    return _memo(impl.result_processor(dialect, None))


def load_mark_versions(session: Session, scope: MarkScope) -> dict[MarkKey, StoredMark]:
    """The stored versions of marks for the scope's schools and dates, by version key."""
    if scope.first_date is None or scope.last_date is None or not scope.urns:
        return {}
    c = MARKS.c
    # String-typed on our side so that SQLAlchemy leaves each value as the driver gives it;
    # the real column processors then run once per distinct value.
    query = sa.select(
        c.upn,
        sa.type_coerce(c.school_date, sa.String),
        c.session,
        sa.type_coerce(c.recorded_at, sa.String),
        c.code,
        c.minutes_late,
    ).where(c.urn.in_(sorted(scope.urns)), c.school_date.between(scope.first_date, scope.last_date))
    as_date, as_time = _result(session, "school_date"), _result(session, "recorded_at")
    return {
        (upn, as_date(day), session_, as_time(at)): (code, minutes)
        for upn, day, session_, at, code, minutes in session.execute(query)
    }


def insert_marks(
    session: Session,
    marks: Sequence[MarkRecord],
    batch_id: int | None,
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Insert new mark versions; a version already stored (a concurrent import) is skipped."""
    parts = (marks[start : start + CHUNK_ROWS] for start in range(0, len(marks), CHUNK_ROWS))
    insert_marks_as_checked(session, ((part, len(part)) for part in parts), batch_id, on_chunk)


def insert_marks_as_checked(
    session: Session,
    parts: Iterable[Part],
    batch_id: int | None,
    on_part: Callable[[int], None] | None = None,
) -> None:
    """Insert each part's new mark versions on a writer thread while `parts` checks the next.

    `parts` yields (new marks, rows the part covered); `on_part` hears the rows once written.
    Checking is Python and writing is mostly the database (PostgreSQL's server, or SQLite's C
    code, which lets go of the GIL), so the two overlap on two cores. The session is used by
    one thread at a time: by the writer alone from the first part until the last is written.

    Each part is also put in order and into the driver's values on this thread, so that the
    writer does nothing but write: done on the writer, that Python left the database idle
    between parts, about 0.3 s of a day's 2.3 s import into PostgreSQL (docs/decisions/0012).
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    days: set[tuple[str, Any]] = set()

    def write(part: _Prepared) -> None:
        if part.rows:
            if postgres:
                _copy_then_insert(session, part.rows)
            else:
                _insert_from_json(session, part.rows_json)
            days.update(part.days)
        if on_part is not None:
            on_part(part.covered)

    recording = _days_recorded_by_the_trigger_skipped if postgres else _dirty_days_written_here
    with recording(session, days):
        _write_behind(_prepared(session, parts, batch_id, as_json=not postgres), write)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A part as the writer takes it: its rows in write order as the driver's values, the same
    as one JSON array for SQLite, the (urn, school date) pairs they fall on, and how many of
    the file's rows the part covered."""

    rows: list[tuple[Any, ...]]
    rows_json: str
    days: set[tuple[str, Any]]
    covered: int


def _prepared(
    session: Session, parts: Iterable[Part], batch_id: int | None, as_json: bool
) -> Iterator[_Prepared]:
    as_date, as_time = _bind(session, "school_date"), _bind(session, "recorded_at")
    for marks, covered in parts:
        rows = [
            (upn, urn, as_date(day), session_, code, original, minutes, as_time(at), batch_id)
            for upn, urn, day, session_, code, original, minutes, at in sorted(
                marks, key=_WRITE_ORDER
            )
        ]
        days = {(row[1], row[2]) for row in rows}
        rows_json = json.dumps(rows, ensure_ascii=False) if as_json and rows else ""
        yield _Prepared(rows, rows_json, days, covered)


# Day first, so that a day's marks append to the unique key's index (day, pupil, ...); then
# school, so that each school's day goes to one short stretch of the file in the index a sweep
# reads its window from (urn, day, pupil, ...). In the unique key's order alone a part's schools
# took turns page by page (UPNs lead with a check letter, not the school), and a cold-cache
# sweep read each school's fortnight as scattered pages (docs/decisions/0012).
_WRITE_ORDER = attrgetter("school_date", "urn", "upn", "session", "recorded_at")


def _write_behind(parts: Iterable[T], write: Callable[[T], None]) -> None:
    """`write` each part on a second thread while this one produces the next; the first
    failure on either side is raised here, once the writer has stopped."""
    queue: Queue[T | None] = Queue(maxsize=2)
    failure: list[BaseException] = []

    def writer() -> None:
        while (part := queue.get()) is not None:
            if not failure:
                try:
                    write(part)
                except BaseException as exc:  # raised again on the caller's thread
                    failure.append(exc)

    thread = Thread(target=writer, name="mark-writer", daemon=True)
    thread.start()
    try:
        for part in parts:
            if failure:
                break
            queue.put(part)
    finally:
        queue.put(None)
        thread.join()
    if failure:
        raise failure[0]


DIRTY_TRIGGER = "marks_dirty_day"


@contextmanager
def _dirty_days_written_here(session: Session, days: set[tuple[str, Any]]) -> Iterator[None]:
    """SQLite: the dirty-day trigger lifted for this transaction's bulk insert, `days` (urn,
    bound school date, filled in by the insert) recorded directly, and the trigger restored
    from its own definition."""
    conn = session.connection()
    definition = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (DIRTY_TRIGGER,)
    ).scalar()
    if definition is not None:
        conn.exec_driver_sql(f"DROP TRIGGER {DIRTY_TRIGGER}")
    try:
        yield
        if days:
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO mark_days_dirty (urn, school_date) VALUES (?, ?)",
                sorted(days),
            )
    finally:
        if definition is not None:
            conn.exec_driver_sql(definition)


RECORDED_SETTING = "pathway.mark_days_recorded"


@contextmanager
def _days_recorded_by_the_trigger_skipped(
    session: Session, days: set[tuple[str, Any]]
) -> Iterator[None]:
    """PostgreSQL: the dirty-day trigger told to skip this transaction's bulk insert (migration
    0017), `days` recorded directly, and the trigger told to record again; the setting is the
    transaction's own, so another connection's marks are recorded as ever, and a rollback
    takes it back with the marks (a failed statement leaves nothing else to run: the
    transaction is aborted)."""
    conn = session.connection()
    conn.exec_driver_sql(f"SELECT set_config('{RECORDED_SETTING}', 'on', true)")
    yield
    if days:
        conn.exec_driver_sql(
            "INSERT INTO mark_days_dirty (urn, school_date) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            sorted(days),
        )
    conn.exec_driver_sql(f"SELECT set_config('{RECORDED_SETTING}', 'off', true)")


_COLUMNS = ", ".join(INSERTED)


def _insert_from_json(session: Session, rows_json: str) -> None:
    """SQLite: the part as one JSON array of its rows in one statement. `executemany` lets go
    of the GIL for every row's step and must win it back from the checking thread each time,
    which made a part written beside the checking six times slower than alone; one statement
    lets go once. The values are already the driver's (text, integers, None), so JSON carries
    them as they are.
    """
    picks = ", ".join(f"value ->> {k}" for k in range(len(INSERTED)))
    sql = (
        f"INSERT INTO marks ({_COLUMNS}) SELECT {picks} FROM json_each(?) "  # noqa: S608
        "WHERE true ON CONFLICT DO NOTHING"  # WHERE: SQLite's parser needs it before ON CONFLICT
    )
    session.connection().exec_driver_sql(sql, (rows_json,))


# The COPYs below are binary: the server takes each value as it is stored, where text made it
# parse every date and time (a tenth of a day's import, measured in docs/decisions/0012).
_COPY_TYPES = {
    "upn": "varchar",
    "urn": "varchar",
    "school_date": "date",
    "session": "varchar",
    "code": "varchar",
    "original_code": "varchar",
    "minutes_late": "int4",
    "recorded_at": "timestamptz",
    "batch_id": "int4",
}


def _copy(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_COPY_TYPES[column] for column in INSERTED])
        for row in rows:
            copy.write_row(row)


def _copy_then_insert(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the part straight into `marks`; if a version in it is already stored
    (written by another import since this one checked), that COPY is undone to its savepoint
    and the part goes through a staging table and INSERT ... ON CONFLICT DO NOTHING instead.

    The checking has already left out every version stored before it began, so the conflict
    is rare, and the direct COPY spares most parts the staging table and the conflict check
    of every row (a third of the writing, measured in docs/decisions/0012).
    """
    driver = session.connection().connection.driver_connection
    if driver is None:
        raise RuntimeError("no PostgreSQL driver connection to COPY through")
    with driver.cursor() as cursor:
        cursor.execute("SAVEPOINT marks_copy")
        try:
            _copy(cursor, "marks", rows)
        except UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT marks_copy")
        else:
            cursor.execute("RELEASE SAVEPOINT marks_copy")
            return
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS marks_incoming ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {_COLUMNS} FROM marks WITH NO DATA"
        )
        _copy(cursor, "marks_incoming", rows)
        cursor.execute(
            f"INSERT INTO marks ({_COLUMNS}) SELECT {_COLUMNS} FROM marks_incoming "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute("TRUNCATE marks_incoming")
