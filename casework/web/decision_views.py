"""What the decision pages show beside the form: the summary of decisions waiting (sortable) and,
for one decision, what approving it would do. Both read through casework.service.legal.preview.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from casework.core.lifecycle import DecisionStatus
from casework.core.policy import load_policy
from casework.db.session import read_snapshot
from casework.db.tables import Decision, Pupil
from casework.service.errors import NotFound
from casework.service.legal.preview import SORTS, ApprovalPlan, plan_approval, waiting_summaries
from casework.web.deps import Viewer, WebContext

RECENTLY_DECIDED = 25
SORT_LABELS: dict[str, str] = {
    "waiting": "Waiting longest",
    "limit": "Time limit soonest",
    "school": "School",
    "kind": "Kind of step",
    "amount": "Amount, largest first",
}


def _recent(session: Session, viewer: Viewer, on: date) -> list[tuple[Decision, Pupil | None]]:
    stmt = (
        select(Decision, Pupil)
        .outerjoin(Pupil, col(Pupil.upn) == col(Decision.upn))
        .where(
            col(Decision.status) != DecisionStatus.REQUESTED.value,
            col(Decision.decided_date) <= on,  # as the records stood that day (PATHWAY_AS_OF)
        )
        .order_by(col(Decision.decided_at).desc(), col(Decision.id).desc())
        .limit(RECENTLY_DECIDED)
    )
    return [(d, p) for d, p in session.exec(viewer.scope.where(stmt, Decision.urn))]


def summary_context(web: WebContext, viewer: Viewer, sort: str) -> dict[str, Any]:
    sort = sort if sort in SORTS else "waiting"
    policy = load_policy(web.settings.policy_file)
    rows = waiting_summaries(
        web.engine, scope_urn=viewer.scope.urn, on=web.today(), policy=policy, sort=sort
    )
    with read_snapshot(web.engine) as session:
        recent = _recent(session, viewer, web.today())
    return {
        "title": "Decisions",
        "rows": rows,
        "recent": recent,
        "sort": sort,
        "sorts": SORT_LABELS,
    }


def approval_plan(web: WebContext, viewer: Viewer, decision: Decision) -> ApprovalPlan | None:
    """What approving a waiting decision today would do (None once it is decided)."""
    if decision.status != DecisionStatus.REQUESTED.value or decision.id is None:
        return None
    try:
        return plan_approval(
            web.engine,
            decision.id,
            scope_urn=viewer.scope.urn,
            on=web.today(),
            policy=load_policy(web.settings.policy_file),
        )
    except NotFound:
        return None
