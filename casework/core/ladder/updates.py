"""Regular updates to parents (DOMAIN rule 35, local choice `parent_update = "half_term"`).

At the end of each half term (the last school day before a break of a week or more) every
parent with parental responsibility receives the pupil's attendance so far this year, in their
preferred channel and language: the figure, what it means, and who to talk to (the school
office's phone and email). The `attendance_update` stage is entered and closed on that sweep,
so reports count the updates; an LA switches them off with `parent_update = "off"` or by
disabling the stage. They leave through the outbox like every message: its pacing and quiet
hours apply.
"""

from __future__ import annotations

from datetime import date, timedelta

from casework.core.calendar import RegisterSession, SchoolCalendar
from casework.core.ladder.persistent_absence import measures_context, pupil_band
from casework.core.ladder.proposals import CloseStage, EnterStage, Proposal
from casework.core.ladder.recipients import FAMILY_ALL, long_date, message_parents
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy

TEMPLATE = "attendance_update/parent"
BREAK = timedelta(days=7)  # a gap longer than this between school days is a holiday


def is_half_term_end(calendar: SchoolCalendar, day: date) -> bool:
    """The last school day before a holiday (or the last day the calendar holds)."""
    if not calendar.is_school_day(day):
        return False
    following = calendar.next_school_day(day)
    return following is None or following - day > BREAK


def update_due(view: PupilView, policy: Policy) -> bool:
    """This sweep sends the half-term update: the afternoon register of a half term's last day."""
    return (
        policy.leave.parent_update == "half_term"
        and policy.enabled(Stage.ATTENDANCE_UPDATE)
        and view.on.session is RegisterSession.PM
        and is_half_term_end(view.calendar, view.on.school_date)
    )


@rule(Stage.ATTENDANCE_UPDATE)
def half_term_update(view: PupilView, policy: Policy) -> list[Proposal]:
    """Every parent with parental responsibility hears the attendance so far."""
    if not update_due(view, policy):
        return []
    day = view.on.school_date
    key = f"{view.upn}:{Stage.ATTENDANCE_UPDATE.value}:{day.isoformat()}"
    if view.case.has(key) or view.measures.possible == 0:
        return []
    context = {
        **measures_context(view),
        "band": pupil_band(view, policy).value,
        "target_percent": str(policy.bands.concern_below_percent),
        "period_end_long": long_date(day),
    }
    messages = message_parents(view, TEMPLATE, key, Stage.ATTENDANCE_UPDATE, FAMILY_ALL, context)
    if not messages:
        return []
    words = f"half-term attendance update: {context['attendance_percent']}% so far this year"
    return [
        EnterStage(Stage.ATTENDANCE_UPDATE, key, words),
        *messages,
        CloseStage(Stage.ATTENDANCE_UPDATE, key, "update sent"),
    ]
