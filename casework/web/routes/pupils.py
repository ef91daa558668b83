"""The pupil's case page `GET /pupils/{upn}` and letter downloads `GET /letters/{id}`.

Both are reads of a case, so each writes a `case.viewed` audit entry before showing anything
(DOMAIN.md rule 30); the entry is committed first, so no case is shown without its record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import col, select
from starlette.responses import FileResponse, Response

from casework.core.audit import AuditDraft, AuditKind
from casework.core.measure_definitions import definitions
from casework.core.policy import load_policy
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import Case, Letter
from casework.service.cases import read_case
from casework.service.errors import NotFound
from casework.web.casepage import case_page as build_case_page
from casework.web.deps import (
    SessionDep,
    Viewer,
    ViewerDep,
    WebContext,
    WebDep,
    end_read,
    get_in_scope,
    not_found,
)
from casework.web.pages import render
from notifications.letters import letter_file

router = APIRouter()


def record_case_view(
    web: WebContext, viewer: Viewer, urn: str, upn: str, detail: dict[str, Any]
) -> None:
    """Append and commit the `case.viewed` entry for this read."""
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


@router.get("/pupils/{upn}")
def case_page(request: Request, web: WebDep, viewer: ViewerDep, upn: str) -> Response:
    try:
        record = read_case(
            web.engine,
            upn.strip().upper(),
            scope_urn=viewer.scope.urn,
            on=web.today(),
            now=web.now(),
            actor=viewer.email,
            detail={"page": "case"},
        )
    except NotFound:
        raise not_found("pupil") from None
    pupil = record.pupil
    context = {
        "title": f"{pupil.forename} {pupil.surname}",
        "case": build_case_page(record),
        "definitions": definitions(load_policy(web.settings.policy_file)),
    }
    return render(request, web, viewer, "pupil.html", context)


def _letter_file(web: WebContext, letter: Letter) -> Path | None:
    """The rendered PDF on disk, only if it lies inside the letters folder."""
    if letter.status != "rendered":
        return None
    return letter_file(web.settings.var_dir, letter.path)


@router.get("/letters/{letter_id}")
def download_letter(
    web: WebDep, viewer: ViewerDep, session: SessionDep, letter_id: int
) -> Response:
    letter = get_in_scope(session, viewer.scope, Letter, col(Letter.id), letter_id, "letter")
    path = _letter_file(web, letter)
    if path is None or letter.upn is None:
        raise not_found("letter")
    case_id = session.exec(select(Case.id).where(Case.upn == letter.upn)).first()
    end_read(session)
    detail = {"page": "letter", "letter_id": letter_id, "template": letter.template}
    if case_id is not None:
        detail["case_id"] = case_id
    record_case_view(web, viewer, letter.urn, letter.upn, detail)
    return FileResponse(path, media_type="application/pdf", filename=f"letter-{letter_id}.pdf")
