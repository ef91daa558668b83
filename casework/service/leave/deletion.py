"""The headteacher's decision on deleting a pupil from the roll under Ground I (DOMAIN rule 34).

Approval sends the deletion return to the LA (Part 2 §5: the pupil's full name and address,
each parent's full name, address and a phone number, any new address or school, the ground)
as a `deletion` referral and an email to the LA attendance team, enters the
`deletion_ground_i` stage and closes every other open stage: the pupil's ladder ends there.
Declining records the reason; the pupil stays on roll and on the ladder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine

from casework.core.ladder.deletion import GROUND
from casework.core.ladder.proposals import (
    CloseStage,
    EnterStage,
    MakeReferral,
    Proposal,
    RecipientRole,
)
from casework.core.ladder.recipients import message_professional
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.recipients import notice_recipients
from casework.core.policy import Policy
from casework.db.session import unit_of_work
from casework.db.tables import Decision
from casework.service.errors import InvalidRequest, NotFound
from casework.service.leave.decisions import check_headteacher, record_decision
from casework.service.legal.context import load_view
from casework.service.proposals import Target, apply_proposals, write_audit

RETURN_REASON = "deletion"


@dataclass(frozen=True)
class DeletionOutcome:
    decision_id: int
    approved: bool
    stages_closed: int


def return_content(view: PupilView) -> dict[str, str]:
    """What the deletion return tells the LA (2024 Registration Regs reg 13(4))."""
    parents = notice_recipients(view.pupil.contacts)
    lines = [
        f"{c.name} ({c.relationship}), {c.address or 'address not held'}, "
        f"phone {c.mobile or 'not held'}"
        for c in parents
    ]
    home = next((c.address for c in parents if c.address), "")
    return {
        "pupil_name": f"{view.pupil.forename} {view.pupil.surname}",
        "pupil_address": home or "not held",
        "parents": "; ".join(lines) or "none recorded",
        "new_address_or_school": "not known (the pupil could not be located)",
        "ground": GROUND,
    }


def _deleted(view: PupilView, policy: Policy, decision: Decision) -> list[Proposal]:
    content = return_content(view)
    words = (
        f"deletion return: {content['pupil_name']} deleted from the admission register under "
        f"regulation {GROUND} on {view.on.school_date.isoformat()}"
    )
    closes: list[Proposal] = [
        CloseStage(s.stage, s.key, "pupil deleted from the roll (Ground I)")
        for s in view.case.stages
        if s.status == "open"
    ]
    return [
        *closes,
        EnterStage(Stage.DELETION_GROUND_I, f"{decision.key}:stage", words, {"ground": GROUND}),
        MakeReferral(f"{decision.key}:return", RETURN_REASON, content),
        message_professional(
            view,
            RecipientRole.LA,
            policy.la.attendance_team_email,
            f"{decision.key}:return",
            Stage.DELETION_GROUND_I,
            event="deletion from the roll",
            event_detail=words,
        ),
    ]


def decide_deletion(
    engine: Engine,
    decision_id: int,
    *,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    policy: Policy,
) -> DeletionOutcome:
    """Delete the pupil from the roll (approve) or keep them on it (decline), with the reason."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("give the reason for the decision; it is kept in the record")
    with unit_of_work(engine) as db:
        decision = db.get(Decision, decision_id)
        if decision is None or decision.stage != Stage.DELETION_GROUND_I.value:
            raise NotFound(f"no deletion decision {decision_id}")
        check_headteacher(db, actor, decision.urn)
        target = Target(decision.urn, on, decision.upn, decision.case_id, actor=actor)
        drafts = [record_decision(decision, approve, reason, actor, target, now)]
        closed = 0
        if approve:
            view = load_view(db, decision.urn, decision.upn, on)
            proposals = _deleted(view, policy, decision)
            closed = sum(isinstance(p, CloseStage) for p in proposals)
            drafts += apply_proposals(db, target, proposals, now)
        write_audit(db, drafts, now)
    return DeletionOutcome(decision_id, approve, closed)
