"""Band-driven support: concern, attendance plan, LA referral, severe absence, lateness.

DOMAIN rules 3–5, 12, 13, 16 and 17. Bands wait for `min_possible_sessions`; every comparison
is on integers. A band stage is entered once and stays open until recovery closes it.
"""

from __future__ import annotations

from casework.core.calendar import academic_year_start
from casework.core.codes import LATE_PRESENT
from casework.core.ladder.proposals import (
    Channel,
    EnterStage,
    MakeReferral,
    OpenTask,
    OwnerRole,
    Proposal,
    RecipientRole,
    TaskKind,
    decision_key,
)
from casework.core.ladder.recipients import (
    FAMILY_WRITTEN,
    LETTER_ONLY,
    long_date,
    message_parents,
    message_professional,
)
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView, could_reach_behind_window
from casework.core.measures import Band, band, count_codes
from casework.core.policy import Policy

SEVERE_PRIORITY = 100  # severe absence is first in every queue (DOMAIN rule 16)
_CONCERN_OR_HIGHER = (Stage.ATTENDANCE_CONCERN, Stage.ATTENDANCE_PLAN, Stage.SEVERE_ABSENCE_PLAN)


def pupil_band(view: PupilView, policy: Policy) -> Band:
    return band(
        view.measures, policy.bands.concern_below_percent, policy.bands.min_possible_sessions
    )


def measures_context(view: PupilView) -> dict[str, str]:
    m = view.measures
    return {
        "attendance_percent": f"{m.attendance_percent:.1f}",
        "sessions_missed": str(m.absent),
        "possible_sessions": str(m.possible),
        "attended_sessions": str(m.attended),
    }


def _enter_key(view: PupilView, stage: Stage) -> str:
    return decision_key(view.upn, stage.value, view.on.school_date)


def _due(view: PupilView, school_days: int) -> str:
    return long_date(view.calendar.add_school_days(view.on.school_date, school_days))


@rule(Stage.ATTENDANCE_CONCERN)
def attendance_concern(view: PupilView, policy: Policy) -> list[Proposal]:
    """At risk (below the concern line, not yet persistent): concern letter and a conversation."""
    if pupil_band(view, policy) is not Band.AT_RISK or any(
        view.case.open_stage(stage) for stage in _CONCERN_OR_HIGHER
    ):
        return []  # a pupil still on a plan steps down only when recovery closes it
    key = _enter_key(view, Stage.ATTENDANCE_CONCERN)
    due = view.calendar.add_school_days(
        view.on.school_date, policy.support.concern_conversation_due_school_days
    )
    return [
        EnterStage(
            Stage.ATTENDANCE_CONCERN,
            key,
            reason=f"attendance below {policy.bands.concern_below_percent}%",
            context=measures_context(view),
        ),
        OpenTask(
            TaskKind.ATTENDANCE_CONVERSATION,
            f"{key}:task",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.ATTENDANCE_CONCERN,
        ),
        *message_parents(
            view,
            "attendance_concern/parent",
            key,
            Stage.ATTENDANCE_CONCERN,
            FAMILY_WRITTEN,
            measures_context(view),
        ),
    ]


def _plan_with_meeting(
    view: PupilView,
    stage: Stage,
    meeting: TaskKind,
    due_days: int,
    channels: frozenset[Channel],
    priority: int = 0,
) -> list[Proposal]:
    """Enter a plan stage: a meeting task due in `due_days` school days and the invitation."""
    key = _enter_key(view, stage)
    extra = {**measures_context(view), "meeting_by_date_long": _due(view, due_days)}
    reason = "severe absence" if stage is Stage.SEVERE_ABSENCE_PLAN else "persistent absence"
    return [
        EnterStage(stage, key, reason=reason, context=extra),
        OpenTask(
            meeting,
            f"{key}:task",
            view.calendar.add_school_days(view.on.school_date, due_days),
            OwnerRole.ATTENDANCE_OFFICER,
            stage,
            priority=priority,
        ),
        *message_parents(view, f"{stage.value}/parent", key, stage, channels, extra),
    ]


@rule(Stage.ATTENDANCE_PLAN)
def attendance_plan(view: PupilView, policy: Policy) -> list[Proposal]:
    """Persistent absence: meeting invitation, attendance meeting task, plan reviews follow."""
    if pupil_band(view, policy) not in (Band.PERSISTENT, Band.SEVERE) or view.case.open_stage(
        Stage.ATTENDANCE_PLAN
    ):
        return []
    days = policy.support.attendance_meeting_due_school_days
    return _plan_with_meeting(
        view, Stage.ATTENDANCE_PLAN, TaskKind.ATTENDANCE_MEETING, days, FAMILY_WRITTEN
    )


@rule(Stage.LA_REFERRAL)
def persistent_absence_referral(view: PupilView, policy: Policy) -> list[Proposal]:
    """Persistent absence cases are made known to the LA attendance team (rule 13)."""
    if pupil_band(view, policy) not in (Band.PERSISTENT, Band.SEVERE):
        return []
    year = academic_year_start(view.on.school_date).year
    return referral(view, policy, "persistent_absence", str(year), "persistent absence")


def referral(
    view: PupilView, policy: Policy, reason: str, instance: str, words: str
) -> list[Proposal]:
    """A referral or return to the LA; the la_referral stage opens with the first of them."""
    key = decision_key(view.upn, "referral", reason, instance)
    if view.case.has(key):
        return []
    decisions: list[Proposal] = []
    if view.case.open_stage(Stage.LA_REFERRAL) is None:
        stage_key = _enter_key(view, Stage.LA_REFERRAL)
        decisions.append(EnterStage(Stage.LA_REFERRAL, stage_key, reason=words))
    decisions.append(MakeReferral(key, reason=reason, context=measures_context(view)))
    decisions.append(
        message_professional(
            view,
            RecipientRole.LA,
            policy.la.attendance_team_email,
            key,
            Stage.LA_REFERRAL,
            event="referral",
            event_detail=words,
        )
    )
    return decisions


@rule(Stage.SEVERE_ABSENCE_PLAN)
def severe_absence_plan(view: PupilView, policy: Policy) -> list[Proposal]:
    """Severe absence: individual plan with multi-agency input, top priority (rule 16)."""
    if pupil_band(view, policy) is not Band.SEVERE or view.case.open_stage(
        Stage.SEVERE_ABSENCE_PLAN
    ):
        return []
    days = policy.support.severe_meeting_due_school_days
    return _plan_with_meeting(
        view,
        Stage.SEVERE_ABSENCE_PLAN,
        TaskKind.SEVERE_ABSENCE_MEETING,
        days,
        LETTER_ONLY,
        priority=SEVERE_PRIORITY,
    )


def needs_lateness_marks(view: PupilView, policy: Policy) -> bool:
    """The lateness window reaches behind the view's raw marks and, counting L or U by week (an
    upper bound on the L count), could reach the line: the rule needs those marks."""
    prior = view.prior
    if prior is None or not prior.late_weeks or view.case.open_stage(Stage.PERSISTENT_LATENESS):
        return False
    support = policy.support
    return could_reach_behind_window(
        view,
        prior.late_weeks,
        support.lateness_window_school_weeks,
        LATE_PRESENT,
        support.lateness_marks,
    )


@rule(Stage.PERSISTENT_LATENESS)
def persistent_lateness(view: PupilView, policy: Policy) -> list[Proposal]:
    """Late (L) at least n times in the last m school weeks: a meeting (rule 17, local choice)."""
    weeks = policy.support.lateness_window_school_weeks
    since = view.calendar.school_week_start(view.on.school_date, weeks)
    late = count_codes(view.marks, LATE_PRESENT, since)
    if late < policy.support.lateness_marks or view.case.open_stage(Stage.PERSISTENT_LATENESS):
        return []
    key = _enter_key(view, Stage.PERSISTENT_LATENESS)
    extra = {"late_sessions": str(late), "weeks": str(weeks)}
    due = view.calendar.add_school_days(
        view.on.school_date, policy.support.lateness_meeting_due_school_days
    )
    return [
        EnterStage(Stage.PERSISTENT_LATENESS, key, reason=f"{late} late marks", context=extra),
        OpenTask(
            TaskKind.LATENESS_MEETING,
            f"{key}:task",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.PERSISTENT_LATENESS,
        ),
        *message_parents(
            view,
            "persistent_lateness/parent",
            key,
            Stage.PERSISTENT_LATENESS,
            FAMILY_WRITTEN,
            extra,
        ),
    ]
