"""How much of a pupil's raw marks the rules need: a short window, a long one, or the whole year.

A sweep reads every pupil's last SHORT_WEEKS school weeks of marks and counts the rest of the
year (casework.db.sweep_marks). Some rules look further back, day by day: recovery for a pupil
whose band stage could close today (its line holds on today's counts); lateness and the legal
threshold when their counts, taken by week from the tallies (an upper bound on every count the
rule makes), could reach the line. Runs and
Notice to Improve periods that cross the window's start need the whole year.
"""

from __future__ import annotations

from enum import StrEnum

from casework.core.ladder.leave import needs_leave_marks
from casework.core.ladder.legal import needs_marks_behind_window
from casework.core.ladder.part_time import needs_part_time_marks
from casework.core.ladder.persistent_absence import needs_lateness_marks
from casework.core.ladder.recovery import could_recover
from casework.core.ladder.view import PupilView, needs_whole_history
from casework.core.policy import Policy

SHORT_WEEKS = 2  # this week and last: most pupils' runs end inside it


class Reading(StrEnum):
    SHORT = "short"
    LONG = "long"
    WHOLE = "whole"


def long_weeks(policy: Policy) -> int:
    """School weeks of raw marks for the rules that count day by day, plus one."""
    return 1 + max(policy.support.lateness_window_school_weeks, policy.bands.recovery_school_weeks)


def counted_weeks(policy: Policy) -> int:
    """School weeks back that weekly counts must reach for the escalations below."""
    return max(policy.legal.threshold_school_weeks, policy.support.lateness_window_school_weeks)


def reading_for(view: PupilView, policy: Policy) -> Reading:
    """What the view, built on a window, is missing: nothing, the long window, or everything."""
    if needs_whole_history(view) or needs_marks_behind_window(view, policy):
        return Reading.WHOLE
    if needs_lateness_marks(view, policy) or could_recover(view, policy):
        return Reading.LONG
    if needs_part_time_marks(view) or needs_leave_marks(view):
        return Reading.LONG  # few pupils: the last C2, or the marks since a leave ended
    return Reading.SHORT
