"""Deletion from the roll under Ground I (DOMAIN rule 34, Part 2 §10): never automatic.

Only when rule 10's run still holds (20 continuous school days, every session `G`, `N` or `O`),
the `cme_enquiry` task is completed `not_located`, and nobody recorded a reasonable ground to
believe the pupil is sick or unavoidably absent (an enquiry completed `sick_or_unavoidable`)
does the headteacher get a decision on deleting the pupil. Approval (in the service) sends the
deletion return and ends the pupil's ladder: `ladder_ended` then stops every rule.
"""

from __future__ import annotations

from casework.core.codes import GROUND_I
from casework.core.ladder.proposals import Proposal, RequestDecision, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy

GROUND = "9(1)(i)"
SICK_OR_UNAVOIDABLE = "sick_or_unavoidable"


def ladder_ended(view: PupilView) -> bool:
    """The pupil was deleted from the roll: nothing more is proposed about them."""
    return any(s.stage is Stage.DELETION_GROUND_I for s in view.case.stages)


def _grounds_recorded(view: PupilView) -> bool:
    return any(
        t.kind == TaskKind.CME_ENQUIRY.value and t.outcome == SICK_OR_UNAVOIDABLE
        for t in view.case.tasks
    )


def deletion_request(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    """A `cme_enquiry` completed `not_located`: ask the headteacher, if Ground I holds."""
    days = view.school_days_in_run(GROUND_I)
    if days < policy.absence.cme_enquiry_days or _grounds_recorded(view):
        return []
    reason = (
        f"{days} continuous school days absent, every session G, N or O; joint enquiries "
        "with the LA have not located the pupil"
    )
    context = {"ground": GROUND, "school_days": str(days), "enquiry_task_key": task_key}
    return [RequestDecision(Stage.DELETION_GROUND_I, f"{task_key}:deletion", reason, context)]
