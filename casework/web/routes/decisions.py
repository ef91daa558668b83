"""Legal-step decisions: `GET /decisions` (a sortable summary of those waiting, and recent ones),
`GET /decisions/{id}` (one decision, what approving it would do, the form), `POST /decisions/{id}`.

Only a person approves a legal step, with a reason and the factors weighed (DOMAIN.md rule 27);
only a headteacher for their own school or an LA officer may decide (rule 23). The service
call enforces the statutory guards (support considered, notice limits) on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, col
from starlette.responses import RedirectResponse, Response

from casework.core.permissions import is_read_only, may_decide
from casework.core.policy import load_policy
from casework.db.tables import Decision, Pupil, School
from casework.service.errors import InvalidRequest, NotAllowed, NotFound
from casework.service.legal.approval import decision_gaps
from casework.service.legal.decisions import decide_with_outcome
from casework.web.casepage import needs_and_circumstances
from casework.web.decision_views import approval_plan, summary_context
from casework.web.deps import (
    SessionDep,
    Viewer,
    ViewerDep,
    WebContext,
    WebDep,
    end_read,
    forbidden,
    get_in_scope,
    not_found,
)
from casework.web.pages import flash, render, stage_title
from casework.web.routes.leave import decide_leave_on_web, is_leave, may_decide_leave

router = APIRouter()

# The factors every decision records (DOMAIN.md rule 27): form field -> question shown.
FACTORS: dict[str, str] = {
    "support_offered": "What support was offered to the family?",
    "support_engaged": "Did the family engage with that support?",
    "send_or_medical": "SEND, EHCP or medical needs, and how they were taken into account",
    "welfare_safeguarding": "Welfare and safeguarding considerations",
    "social_care": "Social care involvement (social worker, early help, YOT)",
}
# Before a prosecution (DOMAIN.md rule 26): shown on prosecution decisions only.
PROSECUTION_FACTORS: dict[str, str] = {
    "eso_considered": "Was an Education Supervision Order considered? Say what was decided.",
    "contract_explored": "Was an attendance contract explored? Say what happened.",
}
SUPPORT_CONSIDERED = "support_considered"


@dataclass(frozen=True, slots=True)
class DecisionRow:
    decision: Decision
    pupil: Pupil | None
    school_name: str
    needs: list[str]
    may_decide: bool
    gaps: list[str]  # rule 39: open or overdue support tasks, support never held


def _may_decide(viewer: Viewer, decision: Decision) -> bool:
    if is_leave(decision.stage):  # the headteacher's decision, not a legal step
        return may_decide_leave(viewer.role, viewer.urn, decision.urn)
    return may_decide(viewer.role, viewer.urn, decision.urn)


def _gaps(session: Session, web: WebContext, decision: Decision) -> list[str]:
    policy = load_policy(web.settings.policy_file)
    try:
        return decision_gaps(session, decision, web.today(), policy)
    except NotFound:
        return []


def _row(session: Session, web: WebContext, viewer: Viewer, decision_id: int) -> DecisionRow:
    decision = get_in_scope(
        session, viewer.scope, Decision, col(Decision.id), decision_id, "decision"
    )
    pupil = session.get(Pupil, decision.upn)
    school = session.get(School, decision.urn)
    waiting = decision.status == "requested"
    return DecisionRow(
        decision=decision,
        pupil=pupil,
        school_name=school.name if school else decision.urn,
        needs=needs_and_circumstances(pupil) if pupil else [],
        may_decide=_may_decide(viewer, decision),
        gaps=_gaps(session, web, decision) if waiting else [],
    )


def _page(
    request: Request,
    web: WebContext,
    viewer: Viewer,
    session: Session,
    decision_id: int,
    *,
    errors: Mapping[int, str] | None = None,
    submitted: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """One decision: its evidence, what approving it would do, and the decision form."""
    row = _row(session, web, viewer, decision_id)
    end_read(session)
    context = {
        "title": f"{stage_title(row.decision.stage)}: decision",
        "row": row,
        "plan": approval_plan(web, viewer, row.decision),
        "factors": FACTORS,
        "errors": errors or {},
        "submitted": submitted or {},
        "prosecution_factors": PROSECUTION_FACTORS,
        "read_only": is_read_only(viewer.role),
    }
    return render(request, web, viewer, "decision.html", context, status_code)


@router.get("/decisions")
def decisions_page(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    sort: Annotated[str, Query(max_length=16)] = "waiting",
) -> Response:
    """Every decision waiting, one line each, sortable; each links to its own page."""
    return render(
        request, web, viewer, "decisions_summary.html", summary_context(web, viewer, sort)
    )


@router.get("/decisions/{decision_id}")
def decision_page(
    request: Request, web: WebDep, viewer: ViewerDep, session: SessionDep, decision_id: int
) -> Response:
    return _page(request, web, viewer, session, decision_id)


class DecisionForm(BaseModel):
    """The decision form's fields (the CSRF token is checked before this is read)."""

    outcome: str = Field("", max_length=16)
    reason: str = Field("", max_length=4000)
    support_offered: str = Field("", max_length=2000)
    support_engaged: str = Field("", max_length=2000)
    send_or_medical: str = Field("", max_length=2000)
    welfare_safeguarding: str = Field("", max_length=2000)
    social_care: str = Field("", max_length=2000)
    eso_considered: str = Field("", max_length=2000)
    contract_explored: str = Field("", max_length=2000)
    support_considered: str = Field("", max_length=8)
    confirm_gaps: str = Field("", max_length=8)

    def factors(self) -> dict[str, str]:
        names = [*FACTORS, *PROSECUTION_FACTORS]
        factors = {name: str(getattr(self, name)).strip() for name in names}
        factors[SUPPORT_CONSIDERED] = "yes" if self.support_considered == "yes" else "no"
        return factors

    def problem(self) -> str | None:
        if self.outcome not in ("approve", "decline"):
            return "Choose whether to approve or decline."
        if not self.reason.strip():
            return "Give the reason for your decision. It is kept in the record."
        return None


@router.post("/decisions/{decision_id}")
def record_decision(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    decision_id: int,
    form: Annotated[DecisionForm, Form()],
) -> Response:
    decision = get_in_scope(
        session, viewer.scope, Decision, col(Decision.id), decision_id, "decision"
    )
    if not _may_decide(viewer, decision):
        raise forbidden(
            "Only the school's headteacher or an LA officer can decide on a legal step."
        )
    end_read(session)
    problem = form.problem() or (
        decide_leave_on_web(
            web, viewer, decision_id, form.outcome == "approve", form.reason.strip()
        )
        if is_leave(decision.stage)
        else _call_decide(web, viewer, decision_id, form)
    )
    if problem is not None:
        return _page(
            request,
            web,
            viewer,
            session,
            decision_id,
            errors={decision_id: problem},
            submitted=form.model_dump(),
            status_code=400,
        )
    verb = "approved" if form.outcome == "approve" else "declined"
    flash(request, f"{stage_title(decision.stage)} {verb}. Your reason has been recorded.")
    return RedirectResponse("/decisions", status_code=303)


def _call_decide(
    web: WebContext, viewer: Viewer, decision_id: int, form: DecisionForm
) -> str | None:
    """Record the decision through the service; the problem to show, or None when recorded."""
    try:
        # decide() with this app's own var folder and policy file, so letters and evidence
        # bundles land where this server keeps them.
        decide_with_outcome(
            web.engine,
            decision_id,
            approve=form.outcome == "approve",
            reason=form.reason.strip(),
            actor=viewer.email,
            on=web.today(),
            now=web.now(),
            factors=form.factors(),
            policy=load_policy(web.settings.policy_file),
            var_dir=web.settings.var_dir,
            confirm_gaps=form.confirm_gaps == "yes",
        )
    except NotFound:
        raise not_found("decision") from None
    except NotAllowed as exc:
        raise forbidden(str(exc)) from None
    except InvalidRequest as exc:
        return str(exc)
    return None
