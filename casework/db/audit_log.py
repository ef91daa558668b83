"""The audit table's shell: append hash-chained entries in the caller's transaction, read them.

Appending reads the last entry once and bulk-inserts the new ones, chained by
casework/core/audit.py.
Writers are serialised so two transactions can never both extend the chain from the same entry:
PostgreSQL takes a transaction-scoped advisory lock, SQLite already has one writer under
BEGIN IMMEDIATE. Nothing here commits: the entries land or vanish with the change they record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from casework.core.audit import GENESIS_HASH, AuditDraft, export_record, seal
from casework.db.audit_anchor import note_head
from casework.db.tables import AuditAnchor, AuditEntry
from casework.settings import LONDON

# An arbitrary 63-bit constant ("pathaudt" in ASCII); every writer of the chain locks this one key.
AUDIT_LOCK_KEY = 0x7061746861756474
PAGE_SIZE = 2000

_TABLE: sa.Table = AuditEntry.__table__  # type: ignore[attr-defined]
_MANAGER = sa.inspect(AuditEntry).class_manager


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Held until the caller's transaction ends, so the next writer reads our last entry.
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def chain_start(engine: sa.Engine) -> tuple[int, str]:
    """Where verification starts: after the newest retention anchor, or at the genesis."""
    with engine.connect() as conn:
        table: sa.Table = AuditAnchor.__table__  # type: ignore[attr-defined]
        row = conn.execute(
            sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        ).first()
    return (0, GENESIS_HASH) if row is None else (int(row.seq), str(row.hash))


def stored_hash(engine: sa.Engine, seq: int) -> str | None:
    """The hash stored on entry `seq`, or None when there is no such entry."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(_TABLE.c.hash).where(_TABLE.c.seq == seq)).scalar()
    return None if found is None else str(found)


def _chain_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        sa.select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row.seq), str(row.hash))


def _row_values(seq: int, at: datetime, draft: AuditDraft, prev_hash: str) -> dict[str, Any]:
    record = seal(seq, at, draft, prev_hash)
    # Typed columns for `at` and `school_date`; `detail` stays exactly the JSON that was hashed.
    record["at"] = at.astimezone(UTC)
    record["school_date"] = draft.school_date
    return record


def _detached(values: dict[str, Any]) -> AuditEntry:
    # AuditEntry(**values) re-validates every field (~0.5 ms each here); these values were built
    # and hashed above, so fill a fresh instance the way the ORM does when it loads a row.
    entry: AuditEntry = _MANAGER.new_instance()
    entry.__dict__.update(values)
    return entry


def append_entries(
    session: Session, drafts: Sequence[AuditDraft], at: datetime
) -> list[AuditEntry]:
    """Append `drafts` in order to the chain, all recorded at `at`, inside the caller's transaction.

    Returns detached copies of the inserted rows. Never commits.
    """
    if not drafts:
        return []
    sa.orm.configure_mappers()
    _lock_chain(session)
    last_seq, prev_hash = _chain_head(session)
    rows: list[dict[str, Any]] = []
    for offset, draft in enumerate(drafts, start=1):
        values = _row_values(last_seq + offset, at, draft, prev_hash)
        rows.append(values)
        prev_hash = values["hash"]
    session.execute(sa.insert(_TABLE), rows)
    # Anchored outside the database once (and only if) the caller's transaction commits.
    note_head(session, last_seq + len(rows), prev_hash)
    return [_detached(values) for values in rows]


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _filters(
    urn: str | None,
    upn: str | None,
    from_date: date | None,
    to_date: date | None,
    tz: ZoneInfo,
) -> list[sa.ColumnElement[bool]]:
    school_date, at = _TABLE.c.school_date, _TABLE.c.at
    clauses: list[sa.ColumnElement[bool]] = []
    if urn is not None:
        clauses.append(_TABLE.c.urn == urn)
    if upn is not None:
        clauses.append(_TABLE.c.upn == upn)
    # An entry without a school date is dated by the London day of its `at`.
    if from_date is not None:
        start = _day_start(from_date, tz)
        clauses.append(
            sa.or_(school_date >= from_date, sa.and_(school_date.is_(None), at >= start))
        )
    if to_date is not None:
        end = _day_start(to_date + timedelta(days=1), tz)
        clauses.append(sa.or_(school_date <= to_date, sa.and_(school_date.is_(None), at < end)))
    return clauses


def _seq_range(after_seq: int, through_seq: int | None) -> list[sa.ColumnElement[bool]]:
    clauses = [_TABLE.c.seq > after_seq]
    if through_seq is not None:
        clauses.append(_TABLE.c.seq <= through_seq)
    return clauses


def read_records(
    session: Session,
    *,
    after_seq: int = 0,
    through_seq: int | None = None,
    limit: int = PAGE_SIZE,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: ZoneInfo = LONDON,
) -> list[dict[str, Any]]:
    """One page of entries after `after_seq` (and up to `through_seq`), in seq order, as export
    records (DESIGN.md shape)."""
    query = (
        sa.select(_TABLE)
        .where(*_seq_range(after_seq, through_seq), *_filters(urn, upn, from_date, to_date, tz))
        .order_by(_TABLE.c.seq)
        .limit(limit)
    )
    return [export_record(dict(row)) for row in session.execute(query).mappings()]


def count_records(
    session: Session,
    *,
    through_seq: int | None = None,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: ZoneInfo = LONDON,
) -> int:
    """How many entries `read_records` would page through with the same filters."""
    query = (
        sa.select(sa.func.count())
        .select_from(_TABLE)
        .where(*_seq_range(0, through_seq), *_filters(urn, upn, from_date, to_date, tz))
    )
    return int(session.execute(query).scalar_one())


def iter_entries(
    session: Session,
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    tz: ZoneInfo = LONDON,
) -> Iterator[AuditEntry]:
    """Entries matching the filters in seq order, read a page at a time (keyset on seq)."""
    clauses = _filters(urn, upn, from_date, to_date, tz)
    after_seq = 0
    while True:
        query = (
            sa.select(AuditEntry)
            .where(AuditEntry.seq > after_seq, *clauses)  # type: ignore[arg-type]
            .order_by(AuditEntry.seq)  # type: ignore[arg-type]
            .limit(PAGE_SIZE)
        )
        page = list(session.execute(query).scalars())
        yield from page
        if len(page) < PAGE_SIZE:
            return
        after_seq = page[-1].seq


def to_export(entry: AuditEntry) -> dict[str, Any]:
    """An AuditEntry row as the DESIGN.md export object (the form `verify_chain` checks)."""
    return export_record(entry.model_dump())
