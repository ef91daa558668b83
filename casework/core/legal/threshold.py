"""The "10 in 10" threshold, pure: which sessions count towards the next legal decision.

DOMAIN.md rule 19 and Part 2 §8.1. Sessions coded `G N O U` within the last 10 school weeks count.
Sessions already weighed by an earlier threshold decision — one on a notice to improve or a
penalty notice, whatever its outcome — are not counted again: the count restarts the day after
the latest such decision was asked for. A decision of another kind (a prosecution, an ESO, leave
of absence) weighs nothing under this rule, so it does not restart the count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from casework.core.codes import PENALTY
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import DecisionState
from casework.core.marks import SessionMark

THRESHOLD_STAGES: frozenset[Stage] = frozenset({Stage.NOTICE_TO_IMPROVE, Stage.PENALTY_NOTICE})


def count_from(window_start: date, decisions: Iterable[DecisionState]) -> date:
    """The first day whose sessions count: the window's start, or the day after the latest
    threshold decision inside it."""
    last = max((d.requested_date for d in decisions if d.stage in THRESHOLD_STAGES), default=None)
    if last is not None and last >= window_start:
        return last + timedelta(days=1)
    return window_start


def counted_sessions(marks: Sequence[SessionMark], since: date) -> list[SessionMark]:
    """The sessions coded G N O U on or after `since`, oldest first."""
    return [m for m in marks if m.school_date >= since and m.code in PENALTY]
