"""Part-time timetables (DOMAIN rule 33, Part 2 §12): temporary, time-limited, reviewed.

A pupil's first `C2` mark opens the stage: the LA is told (a `part_time_timetable` referral and
an email to the LA attendance team), and a `timetable_review` task falls due every
`part_time_review_school_weeks`. Still on the stage after `part_time_max_school_weeks` -> an
escalation task for the headteacher and one for the LA: back to full time or alternative
provision. The stage closes once `part_time_close_school_weeks` pass without a `C2`.
"""

from __future__ import annotations

from datetime import date

from casework.core.ladder.proposals import (
    CloseStage,
    EnterStage,
    MakeReferral,
    OpenTask,
    OwnerRole,
    Proposal,
    RecipientRole,
    TaskKind,
    decision_key,
)
from casework.core.ladder.recipients import message_professional
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView, StageState
from casework.core.policy import Policy

PART_TIME_CODE = "C2"
REFERRAL_REASON = "part_time_timetable"


def _last_c2(view: PupilView) -> date | None:
    return max((m.school_date for m in view.marks if m.code == PART_TIME_CODE), default=None)


def needs_part_time_marks(view: PupilView) -> bool:
    """A pupil on a part-time timetable: the rule looks back for the last `C2` (the long
    window; few pupils are on one)."""
    return view.case.open_stage(Stage.PART_TIME_TIMETABLE) is not None


def _open(view: PupilView, policy: Policy) -> list[Proposal]:
    day = view.on.school_date
    key = decision_key(view.upn, Stage.PART_TIME_TIMETABLE.value, day.isoformat())
    if view.case.has(key):
        return []
    weeks = policy.leave.part_time_review_school_weeks
    words = f"first C2 mark on {day.isoformat()}: the pupil is on a part-time timetable"
    referral_key = decision_key(view.upn, "referral", REFERRAL_REASON, day.isoformat())
    return [
        EnterStage(Stage.PART_TIME_TIMETABLE, key, words, {"started": day.isoformat()}),
        MakeReferral(referral_key, REFERRAL_REASON, {"started": day.isoformat()}),
        message_professional(
            view,
            RecipientRole.LA,
            policy.la.attendance_team_email,
            referral_key,
            Stage.PART_TIME_TIMETABLE,
            event="part-time timetable",
            event_detail=words,
        ),
        OpenTask(
            TaskKind.TIMETABLE_REVIEW,
            f"{key}:review:1",
            view.calendar.add_school_weeks(day, weeks),
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.PART_TIME_TIMETABLE,
            context={"review": "1"},
        ),
    ]


def _reviews(view: PupilView, policy: Policy, entry: StageState) -> list[Proposal]:
    """The next review once the last one's date has come: one every `review` school weeks."""
    weeks, add = policy.leave.part_time_review_school_weeks, view.calendar.add_school_weeks
    n = 1
    while add(entry.entered_date, weeks * n) <= view.on.school_date:
        n += 1
    key = f"{entry.key}:review:{n}"
    if view.case.has(key):
        return []
    due = add(entry.entered_date, weeks * n)
    return [
        OpenTask(
            TaskKind.TIMETABLE_REVIEW,
            key,
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.PART_TIME_TIMETABLE,
            context={"review": str(n)},
        )
    ]


def _escalation(view: PupilView, policy: Policy, entry: StageState) -> list[Proposal]:
    weeks = policy.leave.part_time_max_school_weeks
    limit = view.calendar.add_school_weeks(entry.entered_date, weeks)
    if view.on.school_date < limit or view.case.has(f"{entry.key}:escalation:head"):
        return []
    context = {
        "reason": f"still on a part-time timetable after {weeks} school weeks",
        "started": entry.entered_date.isoformat(),
        "choose": "return to full time or alternative provision",
    }
    return [
        OpenTask(
            TaskKind.TIMETABLE_ESCALATION,
            f"{entry.key}:escalation:{suffix}",
            view.on.school_date,
            owner,
            Stage.PART_TIME_TIMETABLE,
            priority=1,
            context=context,
        )
        for suffix, owner in (("head", OwnerRole.HEADTEACHER), ("la", OwnerRole.LA_OFFICER))
    ]


@rule(Stage.PART_TIME_TIMETABLE)
def part_time_timetable(view: PupilView, policy: Policy) -> list[Proposal]:
    """Open on the first C2; review, escalate at the time limit, close when C2 stops."""
    entry = view.case.open_stage(Stage.PART_TIME_TIMETABLE)
    current = view.current_mark
    if entry is None:
        if current is not None and current.code == PART_TIME_CODE:
            return _open(view, policy)
        return []
    last = _last_c2(view)
    quiet = policy.leave.part_time_close_school_weeks
    if last is None or view.calendar.add_school_weeks(last, quiet) <= view.on.school_date:
        since = last.isoformat() if last else "the window read"
        reason = f"no C2 mark for {quiet} school weeks (last on {since})"
        return [CloseStage(Stage.PART_TIME_TIMETABLE, entry.key, reason)]
    return _reviews(view, policy, entry) + _escalation(view, policy, entry)
