"""Interviews under caution (DOMAIN.md rule 36): asked for with every prosecution decision.

When a prosecution decision is requested, each parent it concerns is invited separately — the
`prosecution/warning` letter states the PACE Code C rights and offers an interpreter (flagged on
the task when the parent's language is not English) — and an `interview_under_caution` task waits
for the outcome (`attended`, `declined`, `no_response`), due when the policy's school days to
respond have passed. The prosecution can be approved once every outcome is recorded or that day
has come (casework.core.legal.approval.interview_problems).
"""

from __future__ import annotations

from collections.abc import Sequence

from casework.core.ladder.proposals import OpenTask, OwnerRole, Proposal, RequestDecision, TaskKind
from casework.core.ladder.recipients import base_context, long_date
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.approval import Interview
from casework.core.legal.recipients import notice_recipients
from casework.core.policy import Policy
from casework.service.legal.context import letter_to

WARNING_TEMPLATE = "prosecution/warning"


def iuc_key(decision_key: str, contact_id: str) -> str:
    return f"{decision_key}:iuc:{contact_id}"


def invitations(
    view: PupilView, policy: Policy, request: RequestDecision, contact_ids: Sequence[str]
) -> list[Proposal]:
    """A letter and an interview task for each parent the prosecution decision concerns."""
    on = view.on.school_date
    respond_by = view.calendar.add_school_days(on, policy.legal.iuc_response_school_days)
    letter = {
        **base_context(view, Stage.PROSECUTION),
        "meeting_by_date_long": long_date(respond_by),
    }
    chosen = set(contact_ids)
    proposals: list[Proposal] = []
    for contact in notice_recipients(view.pupil.contacts):
        if chosen and contact.contact_id not in chosen:
            continue
        key = iuc_key(request.key, contact.contact_id)
        interpreter = (contact.language or "en").lower() != "en"
        if contact.address:
            letter = {
                **base_context(view, Stage.PROSECUTION),
                "meeting_by_date_long": long_date(respond_by),
            }
            proposals.append(letter_to(contact, key, WARNING_TEMPLATE, Stage.PROSECUTION, letter))
        proposals.append(
            OpenTask(
                TaskKind.INTERVIEW_UNDER_CAUTION,
                key,
                respond_by,
                OwnerRole.LA_OFFICER,
                Stage.PROSECUTION,
                context={
                    "contact_id": contact.contact_id,
                    "decision_key": request.key,
                    "invited_on": on.isoformat(),
                    "interpreter_offered": str(interpreter).lower(),
                    "language": contact.language or "en",
                },
            )
        )
    return proposals


def interviews_of(view: PupilView, decision_key: str) -> list[Interview]:
    """The interviews a prosecution decision asked for, as the approval check needs them."""
    prefix = f"{decision_key}:iuc:"
    return [
        Interview(t.key.removeprefix(prefix), t.due_date, t.outcome)
        for t in view.case.tasks
        if t.kind == TaskKind.INTERVIEW_UNDER_CAUTION.value and t.key.startswith(prefix)
    ]
