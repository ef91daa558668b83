"""The import use case: read a CSV file, validate it against what is stored, and write the
accepted rows, the quarantined ones, the batch record and the report in one transaction.

A file whose header lacks a required column, or that is not UTF-8 text, is refused whole and
nothing is written. Otherwise every row is accepted (new or changed), unchanged, or rejected with
a reason; rejected rows go to `quarantined_rows` and to a CSV report under the reports folder.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.core import csv_cells
from casework.core.audit import AuditDraft, AuditKind
from casework.core.imports import calendar, contacts, marks, pupils, schools
from casework.core.imports.rows import (
    CsvTable,
    RowError,
    Validated,
    header_problem,
    quarantinable,
    read_table,
)
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.service.errors import InvalidRequest
from casework.service.importing import mark_store, store
from casework.service.progress import SILENT, Progress

__all__ = ["KINDS", "ImportResult", "RowError", "import_file", "import_table"]

KINDS = ("schools", "calendar", "pupils", "contacts", "marks")

REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "schools": schools.COLUMNS,
    "calendar": calendar.COLUMNS,
    "pupils": pupils.COLUMNS,
    "contacts": contacts.COLUMNS,
    "marks": marks.COLUMNS,
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: str
    accepted: int
    rejected: int
    unchanged: int
    report_path: Path | None
    batch_id: int | None
    errors: list[RowError]
    header_error: str | None


@dataclass(frozen=True, slots=True)
class _Job:
    session: Session
    table: CsvTable
    batch_id: int
    tz: ZoneInfo
    today: date
    progress: Progress


def _schools(job: _Job) -> Validated[Any]:
    found = schools.validate_schools(job.table, store.load_schools(job.session))
    store.upsert(job.session, store.SCHOOLS, store.as_rows(found.fresh), "urn")
    return found


def _calendar(job: _Job) -> Validated[Any]:
    known, existing = store.load_urns(job.session), store.load_calendar(job.session)
    found = calendar.validate_calendar(job.table, known, existing)
    store.insert_ignoring_duplicates(job.session, store.CALENDAR, store.as_rows(found.fresh))
    return found


def _pupils(job: _Job) -> Validated[Any]:
    known, existing = store.load_urns(job.session), store.load_pupils(job.session)
    found = pupils.validate_pupils(job.table, known, existing, job.today)
    store.upsert(job.session, store.PUPILS, store.as_rows(found.fresh), "upn")
    return found


def _contacts(job: _Job) -> Validated[Any]:
    known, existing = store.load_upns(job.session), store.load_contacts(job.session)
    found = contacts.validate_contacts(job.table, known, existing)
    store.upsert(job.session, store.CONTACTS, store.as_rows(found.fresh), "contact_id")
    return found


def _marks(job: _Job) -> Validated[Any]:
    context = marks.MarkContext(
        pupil_schools=store.load_pupil_schools(job.session),
        close_times=store.load_close_times(job.session),
        existing=mark_store.load_mark_versions(job.session, marks.mark_scope(job.table)),
        tz=job.tz,
    )
    found: Validated[marks.MarkRecord] = Validated()

    def checked() -> Iterator[tuple[list[marks.MarkRecord], int]]:
        for part in marks.validated_in_parts(job.table, context, mark_store.CHUNK_ROWS):
            found.fresh.extend(part.fresh)
            found.unchanged += part.unchanged
            found.errors.extend(part.errors)
            yield part.fresh, len(part.fresh) + part.unchanged + len(part.errors)

    job.progress.phase("checking and writing rows", len(job.table.rows))
    mark_store.insert_marks_as_checked(job.session, checked(), job.batch_id, job.progress.advance)
    return found


_HANDLERS: Mapping[str, Callable[[_Job], Validated[Any]]] = {
    "schools": _schools,
    "calendar": _calendar,
    "pupils": _pupils,
    "contacts": _contacts,
    "marks": _marks,
}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a big file makes millions of small acyclic objects,
    and the collector's repeated passes over them cost more than all the parsing.

    Those objects must be gone before the block ends (made in a function called inside it):
    any still held when the collector is back are all young, and its first pass walks every
    one of them: 0.13 s of a day's 2.3 s import (docs/decisions/0012)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


gc_paused = _gc_paused  # for imports that build their rows from another format first


def _refused(kind: str, reason: str) -> ImportResult:
    return ImportResult(kind, 0, 0, 0, None, None, [], reason)


def _read(data: bytes, kind: str) -> CsvTable | str:
    """The decoded table, or why the whole file is refused."""
    try:
        text = data.decode("utf-8-sig")  # -sig: spreadsheets often save UTF-8 with a BOM
    except UnicodeDecodeError as exc:
        return f"the file is not UTF-8 text (byte {exc.start})"
    try:
        table = read_table(text)
    except csv.Error as exc:
        return f"the file is not readable CSV: {exc}"
    return header_problem(table.header, REQUIRED_COLUMNS[kind]) or table


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress = SILENT,
) -> ImportResult:
    """Import one CSV file of `kind` (one of KINDS) in one transaction; `progress` hears the
    validating and writing phases."""
    if kind not in KINDS:
        raise InvalidRequest(f"unknown import kind {kind!r}: use one of {', '.join(KINDS)}")

    def run() -> ImportResult:  # its own frame: the file's objects are freed when it returns
        data = path.read_bytes()
        table = _read(data, kind)
        if isinstance(table, str):
            return _refused(kind, table)
        source = _Source(kind, path.name, hashlib.sha256(data).hexdigest(), table)
        return _import_table(engine, source, reports_dir, tz, now, progress)

    with _gc_paused():
        return run()


@dataclass(frozen=True, slots=True)
class _Source:
    kind: str
    filename: str
    sha256: str
    table: CsvTable
    # Rows refused before they became table rows (a CTF year without a start date, a code a
    # marks profile does not map): quarantined and reported with the validator's own errors.
    pre_errors: tuple[RowError, ...] = ()


def import_table(
    engine: Engine,
    kind: str,
    source: tuple[str, str, CsvTable],
    *,
    pre_errors: tuple[RowError, ...] = (),
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress = SILENT,
) -> ImportResult:
    """Import rows of `kind` already read from another format (a CTF, a profiled marks export):
    `source` is (file name, sha256 of the file, table in the CSV's columns)."""
    filename, sha256, table = source
    problem = header_problem(table.header, REQUIRED_COLUMNS[kind])
    if problem is not None:
        return _refused(kind, problem)
    with _gc_paused():
        found = _Source(kind, filename, sha256, table, pre_errors)
        return _import_table(engine, found, reports_dir, tz, now, progress)


def _import_table(
    engine: Engine,
    source: _Source,
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress,
) -> ImportResult:
    report: Path | None = None
    try:
        progress.phase("validating")
        with unit_of_work(engine) as session:
            batch_id = _open_batch(session, source, now)
            job = _Job(session, source.table, batch_id, tz, now.astimezone(tz).date(), progress)
            found = _HANDLERS[source.kind](job)
            found.errors[:0] = source.pre_errors
            # A rejected row may hold what made it unstorable: made safe before it is kept.
            found.errors = [quarantinable(error) for error in found.errors]
            store.quarantine(session, batch_id, source.kind, found.errors)
            _audit_rejections(session, source, batch_id, found.errors, now)
            _close_batch(session, batch_id, found)
            if found.errors:
                report = _write_report(reports_dir, source.kind, batch_id, now, found.errors)
    except BaseException:
        if report is not None:
            report.unlink(missing_ok=True)  # the transaction rolled back: no batch to report on
        raise
    accepted, rejected = len(found.fresh), len(found.errors)
    return ImportResult(
        source.kind, accepted, rejected, found.unchanged, report, batch_id, found.errors, None
    )


def _short(value: str | None, limit: int) -> str | None:
    """A row's identifier for the audit entry, if it even fits the column."""
    value = (value or "").strip()
    return value if 0 < len(value) <= limit else None


def _audit_rejections(
    session: Session, source: _Source, batch_id: int, errors: list[RowError], now: datetime
) -> None:
    """One `import.rejected` entry per quarantined row: the reason, never the row's contents."""
    drafts = [
        AuditDraft(
            kind=AuditKind.IMPORT_REJECTED,
            actor="system",
            urn=_short(error.raw.get("urn"), 8),
            upn=_short(error.raw.get("upn"), 13),
            detail={
                "batch_id": batch_id,
                "import_kind": source.kind,
                "file": source.filename,
                "row_no": error.row_no,
                "reason": error.reason,
            },
        )
        for error in errors
    ]
    if drafts:
        append_entries(session, drafts, at=now)


def _open_batch(session: Session, source: _Source, now: datetime) -> int:
    stmt = (
        sa.insert(store.BATCHES)
        .values(kind=source.kind, filename=source.filename, sha256=source.sha256, started_at=now)
        .returning(store.BATCHES.c.id)
    )
    batch_id: int = session.execute(stmt).scalar_one()
    return batch_id


def _close_batch(session: Session, batch_id: int, found: Validated[Any]) -> None:
    counts = {
        "accepted": len(found.fresh),
        "rejected": len(found.errors),
        "unchanged": found.unchanged,
    }
    session.execute(sa.update(store.BATCHES).where(store.BATCHES.c.id == batch_id).values(counts))


def _write_report(
    reports_dir: Path, kind: str, batch_id: int, now: datetime, errors: list[RowError]
) -> Path:
    """The rejected rows as CSV (row_no, reason, raw as JSON), named by kind, time and batch."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = reports_dir / f"{kind}-{stamp}-batch{batch_id}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_cells.writer(handle)
        writer.writerow(["row_no", "reason", "raw"])
        for error in errors:
            raw = json.dumps(error.raw, ensure_ascii=False)
            writer.writerow([error.row_no, error.reason, raw])
    return path
