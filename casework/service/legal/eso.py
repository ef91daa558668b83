"""The family court's answer to an ESO application (DOMAIN rule 38), recorded on its task.

Completing the `eso_hearing` task: `made` records `eso.made` — the order's dates and the
supervisor's directions, written in the task's note (refused without them) — and opens an
`eso_review` task `eso_review_months_before` the order ends; `refused` records `eso.refused` and
closes the stage. Listed in casework/service/tasks/hooks.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import CloseStage, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.legal.eso import read_eso_outcome
from casework.core.policy import Policy
from casework.db.tables import Task
from casework.service.errors import InvalidRequest
from casework.service.legal.approval import refuse_on
from casework.service.proposals import Target, apply_proposals, audit_draft

STAGE = Stage.EDUCATION_SUPERVISION_ORDER


def record_eso_outcome(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    """`made` (directions in the note) or `refused`, and what follows each."""
    found = read_eso_outcome(outcome, task.note, on, policy.legal)
    if isinstance(found, list):
        refuse_on(found)
        return []
    if task.upn is None or task.case_id is None:
        raise InvalidRequest(f"task {task.id} names no pupil")
    t = Target(task.urn, on, task.upn, task.case_id, actor=actor)
    key = str(task.context.get("decision_key"))
    if found is None:
        proposals: list[Proposal] = [
            CloseStage(STAGE, f"{key}:stage", "the family court refused the order")
        ]
        return [
            audit_draft(t, AuditKind.ESO_REFUSED, STAGE.value, {"decision_key": key}),
            *apply_proposals(db, t, proposals, now),
        ]
    detail: dict[str, object] = {
        "decision_key": key,
        "made_date": found.made_date.isoformat(),
        "ends_date": found.ends_date.isoformat(),
        "review_due_date": found.review_date.isoformat(),
        "directions": found.directions,
    }
    review = OpenTask(
        TaskKind.ESO_REVIEW,
        f"{key}:review",
        found.review_date,
        OwnerRole.LA_OFFICER,
        STAGE,
        context={"decision_key": key, "order_ends": found.ends_date.isoformat()},
    )
    return [
        audit_draft(t, AuditKind.ESO_MADE, STAGE.value, detail),
        *apply_proposals(db, t, [review], now),
    ]
