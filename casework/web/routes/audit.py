"""The audit trail: `GET /audit` (filters, recent entries, chain status) and `GET /audit/export`.

School users see and export their own school's entries only; the chain check always covers the
whole chain, because a break anywhere makes every later entry doubtful. An export of a pupil's
trail is a read of their case and is itself recorded.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from sqlmodel import Session, and_, col, or_, select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from casework.core.audit import AuditDraft, AuditKind
from casework.core.permissions import may_read_audit
from casework.db.audit_anchor import read_anchors
from casework.db.audit_checkpoint import checkpoint_path
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Pupil
from casework.service.audit.trail import (
    ChainReport,
    ExportFormat,
    TrailFilters,
    export,
    verify_and_checkpoint,
)
from casework.service.audit.trail_pdf import ChainCheck, write_pdf
from casework.web.deps import (
    SessionDep,
    Viewer,
    ViewerDep,
    WebContext,
    WebDep,
    end_read,
    forbidden,
    not_found,
)
from casework.web.pages import render
from casework.web.queue import schools_in_scope

router = APIRouter()

SHOWN = 100
MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSONL: "application/x-ndjson; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}
NOT_AUDITOR = "Your account cannot read the audit trail."


def _check_reader(viewer: Viewer) -> None:
    if not may_read_audit(viewer.role):
        raise forbidden(NOT_AUDITOR)


def _school(viewer: Viewer, school: str | None) -> str | None:
    """The school filter: a school user's own school always; an LA user's choice."""
    return viewer.urn if viewer.urn is not None else (school or None)


def _pupil_school(session: Session, viewer: Viewer, upn: str | None) -> str | None:
    """The school of the pupil a filter names, checked against the viewer's scope first.

    A pupil outside the viewer's school is "not found" before anything is read or recorded,
    exactly like a pupil who does not exist. A pupil no longer on roll (erased by retention)
    is found only by LA-wide readers, whose scope covers every school.
    """
    if upn is None:
        return None
    pupil = session.get(Pupil, upn)
    if pupil is None:
        if viewer.scope.is_la_wide:
            return None
        raise not_found("pupil")
    if not viewer.scope.allows(pupil.urn):
        raise not_found("pupil")
    return pupil.urn


def _query_string(**params: object) -> str:
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})


def _date_clauses(web: WebContext, from_date: date | None, to_date: date | None) -> list[Any]:
    """The export's date rule: by school date, or by the local day of `at` when it has none."""
    school_date, at = col(AuditEntry.school_date), col(AuditEntry.at)
    clauses: list[Any] = []
    if from_date is not None:
        start = datetime.combine(from_date, time.min, web.settings.tz)
        clauses.append(or_(school_date >= from_date, and_(school_date.is_(None), at >= start)))
    if to_date is not None:
        end = datetime.combine(to_date + timedelta(days=1), time.min, web.settings.tz)
        clauses.append(or_(school_date <= to_date, and_(school_date.is_(None), at < end)))
    return clauses


@router.get("/audit")
def audit_page(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    upn: Annotated[str | None, Query(max_length=13)] = None,
    school: Annotated[str | None, Query(max_length=8)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
    verify: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    _check_reader(viewer)
    urn = _school(viewer, school)
    upn = upn.strip().upper() if upn else None
    pupil_urn = _pupil_school(session, viewer, upn)
    stmt = select(AuditEntry).where(*_date_clauses(web, from_date, to_date))
    for column, value in ((AuditEntry.urn, urn), (AuditEntry.upn, upn), (AuditEntry.kind, kind)):
        if value:
            stmt = stmt.where(column == value)
    stmt = stmt.order_by(col(AuditEntry.seq).desc()).limit(SHOWN)
    entries = list(session.exec(viewer.scope.where(stmt, AuditEntry.urn)))
    schools = schools_in_scope(session, viewer.scope)
    end_read(session)
    if upn is not None:
        # A pupil's trail is a read of their case (DOMAIN.md rule 30).
        _record_read(web, viewer, pupil_urn or urn, upn, {"page": "audit"})
    filters = {"upn": upn, "school": urn, "from": from_date, "to": to_date}
    full = verify == "full"
    context = {
        "title": "Audit trail",
        "entries": entries,
        "shown": SHOWN,
        "filters": {**filters, "kind": kind},
        "kinds": [k.value for k in AuditKind],
        "schools": schools,
        "report": _verified(web, full=full),
        # After "Verify the whole chain", the PDF's own statement comes from a whole check too.
        "exports": {
            fmt.value: _query_string(format=fmt.value, verify="full" if full else None, **filters)
            for fmt in ExportFormat
        },
    }
    return render(request, web, viewer, "audit.html", context)


def _verified(web: WebContext, *, full: bool) -> ChainReport:
    """The chain checked after the last verified head, so a page load reads only what is new;
    `?verify=full` re-reads the whole chain."""
    anchors = web.settings.audit_anchor_path
    return verify_and_checkpoint(
        web.engine, read_anchors(anchors), checkpoint_path(anchors), full=full
    )


def _write_export(
    web: WebContext, fmt: ExportFormat, path: Path, filters: TrailFilters, *, full: bool
) -> int:
    if fmt is ExportFormat.PDF:
        # Like the page: the chain after its last verified head, or the whole of it on request.
        check = ChainCheck.beside(web.settings.audit_anchor_path, full=full)
        with path.open("wb") as binary:
            return write_pdf(web.engine, binary, filters=filters, check=check, now=web.now())
    with path.open("w", encoding="utf-8", newline="") as text:
        return export(web.engine, fmt, text, **filters.as_kwargs())


@router.get("/audit/export")
def audit_export(
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.JSONL,
    upn: Annotated[str | None, Query(max_length=13)] = None,
    school: Annotated[str | None, Query(max_length=8)] = None,
    from_date: Annotated[date | None, Query(alias="from")] = None,
    to_date: Annotated[date | None, Query(alias="to")] = None,
    verify: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    _check_reader(viewer)
    urn = _school(viewer, school)
    upn = upn.strip().upper() if upn else None
    # Scope first: nothing is written, recorded or answered for a pupil the viewer cannot see.
    pupil_urn = _pupil_school(session, viewer, upn)
    end_read(session)
    out_dir = web.settings.var_dir / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="audit-", suffix=f".{fmt.value}", dir=out_dir)
    os.close(fd)
    path = Path(name)
    try:
        filters = TrailFilters(urn=urn, upn=upn, from_date=from_date, to_date=to_date)
        count = _write_export(web, fmt, path, filters, full=verify == "full")
        detail = {"page": "audit_export", "format": fmt.value, "entries": count}
        _record_read(web, viewer, pupil_urn or urn, upn, detail)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        filename=f"audit-{upn or urn or 'la'}.{fmt.value}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _record_read(
    web: WebContext, viewer: Viewer, urn: str | None, upn: str | None, detail: dict[str, Any]
) -> None:
    """A read of the trail is a read of every case in it: record who (DOMAIN.md rule 30)."""
    draft = AuditDraft(
        kind=AuditKind.CASE_VIEWED,
        actor=viewer.email,
        school_date=web.today(),
        urn=urn,
        upn=upn,
        detail=detail,
    )
    with unit_of_work(web.engine) as session:
        append_entries(session, [draft], at=web.now())
