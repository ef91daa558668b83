"""Statutory guards applied after the policy's rules; no policy can switch them off.

- A sweep never takes a legal step: only a `RequestDecision` for a person survives.
- Only contacts with parental responsibility are messaged.
- Every unexplained absence and every escalation of a pupil with a social worker or YOT worker
  is emailed to them; for a looked-after pupil, the Virtual School too (WTISA para 52, rule 9).
- Severe absence puts every task of the pupil first in the queue (rule 16).
- No action is proposed twice in one sweep.
- Nobody is called about an absence inside leave the headteacher granted (rule 32): the
  register's mark there is the school's to check (a data alert), not the family's to explain.
"""

from __future__ import annotations

from collections.abc import Iterator

from casework.core.ladder.leave import during_granted_leave
from casework.core.ladder.persistent_absence import SEVERE_PRIORITY, pupil_band
from casework.core.ladder.proposals import (
    CloseStage,
    EnterStage,
    OpenTask,
    Proposal,
    QueueMessage,
    RecipientRole,
    RequestDecision,
)
from casework.core.ladder.recipients import message_professional
from casework.core.ladder.stages import LEGAL_STAGES, SPECS, Stage
from casework.core.ladder.view import PupilView
from casework.core.measures import Band
from casework.core.policy import Policy


def professionals(view: PupilView, policy: Policy) -> list[tuple[RecipientRole, str]]:
    pupil = view.pupil
    found = []
    if pupil.social_worker_email:
        found.append((RecipientRole.SOCIAL_WORKER, pupil.social_worker_email))
    if pupil.yot_worker_email:
        found.append((RecipientRole.YOT_WORKER, pupil.yot_worker_email))
    if pupil.looked_after:
        found.append((RecipientRole.VIRTUAL_SCHOOL, policy.la.virtual_school_email))
    return found


def _notify_professionals(
    view: PupilView, policy: Policy, proposed: list[Proposal]
) -> Iterator[QueueMessage]:
    people = professionals(view, policy)
    if not people:
        return
    events: list[tuple[str, str, Stage | None]] = []
    if view.episode is not None and not during_granted_leave(view):
        day = view.on.school_date.isoformat()
        events.append((f"{view.upn}:unexplained:{day}", "unexplained absence", None))
    for decision in proposed:
        if (
            isinstance(decision, EnterStage | RequestDecision)
            and decision.stage is not Stage.ATTENDANCE_UPDATE  # news for families, no escalation
        ):
            events.append((decision.key, SPECS[decision.stage].title.lower(), decision.stage))
    for key, event, stage in events:
        for role, address in people:
            message = message_professional(
                view,
                role,
                address,
                key,
                stage,
                event,
                event_detail=f"{event} on {view.on.school_date.isoformat()}",
            )
            if not view.case.has(message.key):
                yield message


def _allowed(decision: Proposal, view: PupilView) -> bool:
    if isinstance(decision, EnterStage) and decision.stage in LEGAL_STAGES:
        return False  # DESIGN.md: legal steps need a human decision with a reason
    if isinstance(decision, QueueMessage) and decision.to.role is RecipientRole.PARENT:
        holders = {c.contact_id for c in view.pupil.contacts if c.parental_responsibility}
        return decision.to.contact_id in holders
    return True


def _prioritised(decision: Proposal, severe: bool) -> Proposal:
    if severe and isinstance(decision, OpenTask) and decision.priority < SEVERE_PRIORITY:
        return OpenTask(
            decision.kind,
            decision.key,
            decision.due_date,
            decision.owner_role,
            decision.stage,
            SEVERE_PRIORITY,
            decision.context,
        )
    return decision


def _first_of_each_key(proposed: list[Proposal]) -> list[Proposal]:
    """Two rules may propose the same action (the la_referral stage for two returns on one
    sweep); the shell would insert it once but audit it twice, so only the first is kept."""
    seen: set[tuple[type, str]] = set()
    unique: list[Proposal] = []
    for decision in proposed:
        key = decision.entry_key if isinstance(decision, CloseStage) else decision.key
        if (type(decision), key) not in seen:
            seen.add((type(decision), key))
            unique.append(decision)
    return unique


_DAILY_FOLLOW_UP = frozenset({Stage.FIRST_DAY_CALL, Stage.HOME_VISIT})


def _not_during_leave(proposed: list[Proposal]) -> list[Proposal]:
    """Granted leave: the daily follow-up of absence (calls, messages, visits) is dropped."""
    return [
        d
        for d in proposed
        if not (isinstance(d, EnterStage | OpenTask | QueueMessage) and d.stage in _DAILY_FOLLOW_UP)
    ]


def apply_guards(view: PupilView, policy: Policy, proposed: list[Proposal]) -> list[Proposal]:
    """The proposals, filtered and completed by the statutory guards."""
    severe = pupil_band(view, policy) is Band.SEVERE
    if during_granted_leave(view):
        proposed = _not_during_leave(proposed)
    kept = [_prioritised(d, severe) for d in _first_of_each_key(proposed) if _allowed(d, view)]
    return kept + list(_notify_professionals(view, policy, kept))
