"""Formal support: Strengths and Needs, Team Around the Family, reviews, attendance contract.

DOMAIN rules 13–15 and 18. Outcomes recorded on tasks (consent, needs identified, contract
signed) drive the next steps through `casework.core.ladder.outcomes`; this module holds the steps
the register itself drives.
"""

from __future__ import annotations

from datetime import date

from casework.core.ladder.persistent_absence import (
    SEVERE_PRIORITY,
    measures_context,
    pupil_band,
)
from casework.core.ladder.proposals import EnterStage, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.recipients import FAMILY_WRITTEN, LETTER_ONLY, long_date, message_parents
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView, StageState
from casework.core.measures import Band
from casework.core.policy import Policy

_PA = (Band.PERSISTENT, Band.SEVERE)


def _entered_this_year(view: PupilView, stage: Stage) -> bool:
    return any(e.entered_date >= view.year_start for e in view.case.entries(stage))


@rule(Stage.STRENGTHS_AND_NEEDS)
def strengths_and_needs(view: PupilView, policy: Policy) -> list[Proposal]:
    """Persistent absence: ask the family's consent for a Strengths and Needs form (rule 14)."""
    if pupil_band(view, policy) not in _PA or _entered_this_year(view, Stage.STRENGTHS_AND_NEEDS):
        return []
    key = f"{view.upn}:{Stage.STRENGTHS_AND_NEEDS.value}:{view.on.school_date.isoformat()}"
    due = view.calendar.add_school_days(
        view.on.school_date, policy.support.consent_request_due_school_days
    )
    return [
        EnterStage(Stage.STRENGTHS_AND_NEEDS, key, reason="persistent absence"),
        OpenTask(
            TaskKind.CONSENT_REQUEST,
            f"{key}:task",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.STRENGTHS_AND_NEEDS,
        ),
        *message_parents(
            view, "strengths_and_needs/parent", key, Stage.STRENGTHS_AND_NEEDS, FAMILY_WRITTEN
        ),
    ]


def enter_team_around_family(view: PupilView, policy: Policy, reason: str) -> list[Proposal]:
    """Convene a TAF meeting (used by the severe-absence rule and by the form's outcome)."""
    if view.case.open_stage(Stage.TEAM_AROUND_FAMILY) or not policy.enabled(
        Stage.TEAM_AROUND_FAMILY
    ):
        return []
    key = f"{view.upn}:{Stage.TEAM_AROUND_FAMILY.value}:{view.on.school_date.isoformat()}"
    due = view.calendar.add_school_days(
        view.on.school_date, policy.support.taf_meeting_due_school_days
    )
    severe = pupil_band(view, policy) is Band.SEVERE
    return [
        EnterStage(Stage.TEAM_AROUND_FAMILY, key, reason=reason),
        OpenTask(
            TaskKind.TAF_MEETING,
            f"{key}:task",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.TEAM_AROUND_FAMILY,
            priority=SEVERE_PRIORITY if severe else 0,
        ),
        *message_parents(
            view,
            "team_around_family/parent",
            key,
            Stage.TEAM_AROUND_FAMILY,
            FAMILY_WRITTEN,
            {"meeting_by_date_long": long_date(due)},
        ),
    ]


@rule(Stage.TEAM_AROUND_FAMILY)
def team_around_family_on_severe(view: PupilView, policy: Policy) -> list[Proposal]:
    """Severe absence convenes a Team Around the Family (rule 15)."""
    if pupil_band(view, policy) is not Band.SEVERE:
        return []
    return enter_team_around_family(view, policy, "severe absence")


def _due_review(view: PupilView, entry: StageState, every_weeks: int) -> int | None:
    """The number of the latest review now due for an open stage, or None."""
    due_count = 0
    review_date = entry.entered_date
    while True:
        review_date = view.calendar.add_school_weeks(review_date, every_weeks)
        if review_date > view.on.school_date:
            break
        due_count += 1
    return due_count or None


def _review_task(
    view: PupilView, entry: StageState, kind: TaskKind, number: int
) -> OpenTask | None:
    key = f"{entry.key}:review:{number}"
    if view.case.has(key):
        return None
    return OpenTask(
        kind,
        key,
        view.on.school_date,
        OwnerRole.ATTENDANCE_OFFICER,
        entry.stage,
        context={"review_number": str(number)},
    )


def _not_improving(view: PupilView, entry: StageState) -> bool:
    """Still persistent and attendance no better than when the plan began (exact fractions)."""
    if not view.measures.is_persistent:
        return False
    then_attended = int(entry.context.get("attended_sessions", "0"))
    then_possible = int(entry.context.get("possible_sessions", "0"))
    now = view.measures
    return now.attended * then_possible <= then_attended * now.possible


@rule(Stage.ATTENDANCE_PLAN)
def plan_reviews(view: PupilView, policy: Policy) -> list[Proposal]:
    """Plan reviews every n school weeks; not improving at a review -> attendance contract."""
    entry = view.case.open_stage(Stage.ATTENDANCE_PLAN)
    if entry is None:
        return []
    number = _due_review(view, entry, policy.support.plan_review_school_weeks)
    task = _review_task(view, entry, TaskKind.PLAN_REVIEW, number) if number else None
    if task is None:
        return []
    decisions: list[Proposal] = [task]
    if _not_improving(view, entry):
        decisions += offer_contract(view, policy, "persistent absence not improving at review")
    return decisions


@rule(Stage.TEAM_AROUND_FAMILY)
def taf_reviews(view: PupilView, policy: Policy) -> list[Proposal]:
    """Team Around the Family reviews every n school weeks while it is open (rule 15)."""
    entry = view.case.open_stage(Stage.TEAM_AROUND_FAMILY)
    if entry is None:
        return []
    number = _due_review(view, entry, policy.support.taf_review_school_weeks)
    task = _review_task(view, entry, TaskKind.TAF_REVIEW, number) if number else None
    return [task] if task else []


def offer_contract(view: PupilView, policy: Policy, reason: str) -> list[Proposal]:
    """Offer an attendance contract once a year: voluntary, recorded signed or declined."""
    if not policy.enabled(Stage.PARENTING_CONTRACT) or _entered_this_year(
        view, Stage.PARENTING_CONTRACT
    ):
        return []
    key = f"{view.upn}:{Stage.PARENTING_CONTRACT.value}:{view.on.school_date.isoformat()}"
    due: date = view.calendar.add_school_days(
        view.on.school_date, policy.support.contract_offer_due_school_days
    )
    extra = {**measures_context(view), "meeting_by_date_long": long_date(due)}
    return [
        EnterStage(Stage.PARENTING_CONTRACT, key, reason=reason),
        OpenTask(
            TaskKind.CONTRACT_OFFER,
            f"{key}:task",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.PARENTING_CONTRACT,
        ),
        *message_parents(
            view, "parenting_contract/parent", key, Stage.PARENTING_CONTRACT, LETTER_ONLY, extra
        ),
    ]
