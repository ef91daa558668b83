"""Legal steps — notice to improve, penalty notice, prosecution — only ever proposed to a person.

DOMAIN rules 19–20: the threshold opens a decision, never a notice.
"""

from __future__ import annotations

from datetime import timedelta

from casework.codes import HOLIDAY_UNAUTHORISED, PENALTY
from casework.ladder.decisions import Decision, RequestDecision
from casework.ladder.registry import rule
from casework.ladder.stages import Stage
from casework.ladder.view import PupilView
from casework.measures import count_codes
from casework.policy import Policy


@rule(Stage.PENALTY_NOTICE)
def penalty_threshold(view: PupilView, policy: Policy) -> list[Decision]:
    """>= 10 sessions of G N O U in the last 10 school weeks: ask a person to decide."""
    legal = policy.legal
    since = view.calendar.school_week_start(view.on.school_date, legal.threshold_school_weeks)
    last = max((d.requested_date for d in view.case.decisions), default=None)
    if last is not None and last >= since:
        since = last + timedelta(days=1)  # sessions already weighed by an earlier decision are not counted twice
    sessions = [m for m in view.marks if m.school_date >= since and m.code in PENALTY]
    if len(sessions) < legal.threshold_sessions:
        return []
    all_holiday = count_codes(sessions, HOLIDAY_UNAUTHORISED, since) == len(sessions)
    stage = Stage.PENALTY_NOTICE if all_holiday else Stage.NOTICE_TO_IMPROVE
    key = f"{view.upn}:{stage.value}:decision:{view.on.school_date.isoformat()}"
    if view.case.has(key):
        return []
    reason = (
        f"{len(sessions)} unauthorised sessions in the last {legal.threshold_school_weeks} "
        "school weeks" + (", all term-time holiday" if all_holiday else "")
    )
    context = {
        "sessions": str(len(sessions)),
        "window_start": since.isoformat(),
        "all_holiday": str(all_holiday).lower(),
    }
    return [RequestDecision(stage, key, reason, context)]
