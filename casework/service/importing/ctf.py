"""The CTF import use case: one common transfer file in, through the CSV imports' own paths.

The file is parsed and its school checked before anything is written: a file that is not a CTF,
or that comes from a school this LA does not hold (unknown URN, or an LEA that is not the
school's LA), is refused whole. Then its pupils, their contacts and their marks are imported in
that order, each exactly as `pathway import pupils|contacts|marks` would import the same rows
(one batch, quarantine, report and audit per kind; marks through the bulk mark path). Contacts
and marks of a pupil refused (no UPN, a bad check letter) are left out rather than refused one
by one. Where the file's session totals disagree with its marks, the marks are imported and
the disagreement is written to a notes report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from casework.core.imports.ctf import CtfFile, CtfHeader, CtfProblem, parse_ctf
from casework.core.imports.ctf_marks import year_span
from casework.core.imports.ctf_rows import (
    MarkSource,
    Slot,
    contact_rows,
    mark_rows,
    pupil_rows,
)
from casework.core.imports.marks import MarkScope
from casework.core.imports.rows import CsvTable, RowError
from casework.core.imports.schools import SchoolRecord
from casework.db.session import unit_of_work
from casework.service.importing import mark_store, store
from casework.service.importing.files import ImportResult, gc_paused, import_table
from casework.service.progress import SILENT, Progress


@dataclass(frozen=True, slots=True)
class CtfImportResult:
    """What a CTF import did: why it was refused, or the pupils, contacts and marks results."""

    refused: str | None
    parts: list[ImportResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes_path: Path | None = None

    @property
    def rejected(self) -> int:
        return sum(part.rejected for part in self.parts)


@dataclass(frozen=True, slots=True)
class _Run:
    engine: Engine
    filename: str
    sha256: str
    reports_dir: Path
    tz: ZoneInfo
    now: datetime
    progress: Progress

    def table(
        self, kind: str, rows: CsvTable, pre_errors: tuple[RowError, ...] = ()
    ) -> ImportResult:
        return import_table(
            self.engine,
            kind,
            (self.filename, self.sha256, rows),
            pre_errors=pre_errors,
            reports_dir=self.reports_dir,
            tz=self.tz,
            now=self.now,
            progress=self.progress,
        )


def school_problem(header: CtfHeader, school: SchoolRecord | None) -> str | None:
    """Why a file from this source school is refused, or None."""
    if not header.urn:
        return "the file's SourceSchool has no URN, so its school cannot be identified"
    if school is None:
        return f"the file comes from school URN {header.urn}, which is not a school of this LA"
    if header.lea != school.la_code:
        return (
            f"the file is for a school of LA {header.lea or '(none)'}, but school "
            f"{school.urn} belongs to LA {school.la_code}"
        )
    return None


def import_ctf(
    engine: Engine,
    path: Path,
    *,
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress = SILENT,
) -> CtfImportResult:
    """Import one CTF's pupils, contacts and marks; a refused file writes nothing."""
    with gc_paused():
        return _import(engine, path, reports_dir=reports_dir, tz=tz, now=now, progress=progress)


def _import(
    engine: Engine,
    path: Path,
    *,
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress,
) -> CtfImportResult:
    data = path.read_bytes()
    try:
        ctf = parse_ctf(data)
    except CtfProblem as exc:
        return CtfImportResult(refused=str(exc))
    with unit_of_work(engine) as session:
        school = store.load_schools(session).get(ctf.header.urn)
        stored = store.load_pupils(session)
    problem = school_problem(ctf.header, school)
    if problem is not None or school is None:
        return CtfImportResult(refused=problem)
    run = _Run(engine, path.name, hashlib.sha256(data).hexdigest(), reports_dir, tz, now, progress)
    pupils_done = run.table("pupils", pupil_rows(ctf, school.urn, stored))
    skip = _refused_upns(ctf, pupils_done) - stored.keys()
    contacts_done = run.table("contacts", contact_rows(ctf, skip))
    latest = _stored_latest(engine, ctf, school.urn)
    source = MarkSource(school.urn, ctf.header.lea, ctf.header.estab, skip, latest)
    rows = mark_rows(ctf, source)
    marks_done = run.table("marks", rows.table, pre_errors=tuple(rows.errors))
    notes_path = _write_notes(reports_dir, path.name, now, rows.notes) if rows.notes else None
    return CtfImportResult(None, [pupils_done, contacts_done, marks_done], rows.notes, notes_path)


def _refused_upns(ctf: CtfFile, pupils_done: ImportResult) -> set[str]:
    """UPNs only refused pupils carry (a UPN also on an accepted row, a duplicate, is kept)."""
    refused_at = {error.row_no for error in pupils_done.errors}
    kept = {p.upn for p in ctf.pupils if p.position not in refused_at}
    return {p.upn for p in ctf.pupils if p.position in refused_at} - kept


def _span(ctf: CtfFile) -> tuple[date, date] | None:
    spans = [
        found
        for pupil in ctf.pupils
        for year in pupil.years
        if (found := year_span(year.start_date, year.marks)) is not None
    ]
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


def _stored_latest(engine: Engine, ctf: CtfFile, urn: str) -> Mapping[Slot, str]:
    """The latest stored code of each slot the file covers (to tell an amendment from a repeat)."""
    span = _span(ctf)
    if span is None:
        return {}
    with unit_of_work(engine) as session:
        versions = mark_store.load_mark_versions(session, MarkScope(frozenset({urn}), *span))
    latest: dict[Slot, tuple[datetime, str]] = {}
    for (upn, day, session_, recorded_at), (code, _minutes) in versions.items():
        slot = (upn, day.isoformat(), session_)
        if slot not in latest or latest[slot][0] < recorded_at:
            latest[slot] = (recorded_at, code)
    return {slot: code for slot, (_, code) in latest.items()}


def _write_notes(reports_dir: Path, filename: str, now: datetime, notes: list[str]) -> Path:
    """The file's disagreements and skipped years, one a line, beside the import reports."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = reports_dir / f"ctf-{stamp}-notes.txt"
    lines = [f"notes on {filename} (marks imported as the file gives them):", *notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
