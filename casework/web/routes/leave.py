"""Leave of absence on the web (DOMAIN rule 32): the school office's application form
(`GET|POST /pupils/{upn}/leave`) and the headteacher's decision from the decisions queue.

A leave decision is not a legal step: the queue shows it without the rule-27 factors, and only
the school's own headteacher may grant or refuse it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from casework.core.ladder.stages import Stage
from casework.core.permissions import Role, may_work_tasks
from casework.core.policy import load_policy
from casework.db.tables import Contact, Decision, Pupil
from casework.service.errors import InvalidRequest, NotAllowed, NotFound
from casework.service.leave.applications import LeaveRequest, request_leave
from casework.service.leave.decisions import HEADTEACHER_DECISIONS, decide_leave
from casework.service.leave.deletion import decide_deletion
from casework.web.deps import (
    SessionDep,
    Viewer,
    ViewerDep,
    WebContext,
    WebDep,
    end_read,
    forbidden,
    not_found,
    pupil_in_scope,
)
from casework.web.pages import flash, render

router = APIRouter()

READ_ONLY = "Your account can read cases but not record leave applications."


def may_decide_leave(role: Role | str, user_urn: str | None, pupil_urn: str) -> bool:
    """Leave is the headteacher's decision, for their own school."""
    return Role(role) is Role.HEADTEACHER and user_urn is not None and user_urn == pupil_urn


def is_leave(stage: str) -> bool:
    """Leave or a Ground I deletion: the headteacher's decisions, not legal steps."""
    return stage in HEADTEACHER_DECISIONS


def _parents(session: Session, upn: str) -> list[Contact]:
    rows = session.exec(
        select(Contact)
        .where(Contact.upn == upn, col(Contact.parental_responsibility).is_(True))
        .order_by(col(Contact.priority), col(Contact.contact_id))
    )
    return list(rows)


def _form_page(
    request: Request,
    web: WebContext,
    viewer: Viewer,
    session: Session,
    pupil: Pupil,
    *,
    error: str | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "title": f"Leave of absence: {pupil.forename} {pupil.surname}",
        "pupil": pupil,
        "parents": _parents(session, pupil.upn),
        "error": error,
        "submitted": submitted or {},
        "today": web.today().isoformat(),
    }
    return render(request, web, viewer, "leave_form.html", context, status_code)


@router.get("/pupils/{upn}/leave")
def leave_form(
    request: Request, web: WebDep, viewer: ViewerDep, session: SessionDep, upn: str
) -> Response:
    pupil = pupil_in_scope(session, viewer.scope, upn.strip().upper())
    if not may_work_tasks(viewer.role):
        raise forbidden(READ_ONLY)
    return _form_page(request, web, viewer, session, pupil)


def _dates(start: str, end: str) -> tuple[date, date]:
    try:
        return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise InvalidRequest("Enter the first and last day of the leave as dates.") from None


@router.post("/pupils/{upn}/leave")
def record_leave(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    upn: str,
    leave_from: Annotated[str, Form(max_length=10)] = "",
    leave_to: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    applicant: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    pupil = pupil_in_scope(session, viewer.scope, upn.strip().upper())
    if not may_work_tasks(viewer.role):
        raise forbidden(READ_ONLY)
    end_read(session)
    submitted = {"leave_from": leave_from, "leave_to": leave_to, "reason": reason}
    try:
        start, end = _dates(leave_from, leave_to)
        request_leave(
            web.engine,
            LeaveRequest(pupil.upn, start, end, reason, web.today(), applicant or None),
            actor=viewer.email,
            now=web.now(),
        )
    except InvalidRequest as exc:
        return _form_page(
            request,
            web,
            viewer,
            session,
            pupil,
            error=str(exc),
            submitted=submitted,
            status_code=400,
        )
    flash(request, "Leave application recorded. It is waiting for the headteacher's decision.")
    return RedirectResponse(f"/pupils/{pupil.upn}", status_code=303)


def _stage_of(web: WebContext, decision_id: int) -> str:
    with Session(web.engine) as db:
        decision = db.get(Decision, decision_id)
    if decision is None:
        raise not_found("decision")
    return decision.stage


def decide_leave_on_web(
    web: WebContext, viewer: Viewer, decision_id: int, approve: bool, reason: str
) -> str | None:
    """The headteacher's decision from the queue; the problem to show, or None when recorded."""
    stage = _stage_of(web, decision_id)
    decide = decide_deletion if stage == Stage.DELETION_GROUND_I.value else decide_leave
    try:
        decide(
            web.engine,
            decision_id,
            approve=approve,
            reason=reason,
            actor=viewer.email,
            on=web.today(),
            now=web.now(),
            policy=load_policy(web.settings.policy_file),
        )
    except NotFound:
        raise not_found("decision") from None
    except NotAllowed as exc:
        raise forbidden(str(exc)) from None
    except InvalidRequest as exc:
        return str(exc)
    return None
