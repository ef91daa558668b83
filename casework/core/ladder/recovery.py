"""De-escalation: a band stage closes, with a letter that says so, once attendance has stayed
on the right side of its line for the whole review window. Nothing is ever deleted.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date

from casework.core.codes import CODES, CodeClass
from casework.core.ladder.persistent_absence import measures_context
from casework.core.ladder.proposals import CloseStage, Proposal
from casework.core.ladder.recipients import FAMILY_WRITTEN, message_parents
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import SPECS, Stage
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy

Counts = tuple[int, int]  # (attended, possible), year to date
Recovered = Callable[[Counts, Policy], bool]

_ATTENDED = {CodeClass.PRESENT, CodeClass.EDUCATIONAL}
_ABSENT = {CodeClass.AUTHORISED, CodeClass.UNAUTHORISED}


def _not_at_risk(counts: Counts, policy: Policy) -> bool:
    attended, possible = counts
    return attended * 100 >= policy.bands.concern_below_percent * possible


def _not_persistent(counts: Counts, policy: Policy) -> bool:
    attended, possible = counts
    return (possible - attended) * 10 < possible


def _not_severe(counts: Counts, policy: Policy) -> bool:
    attended, possible = counts
    return (possible - attended) * 2 < possible


RECOVERY_TESTS: dict[Stage, Recovered] = {
    Stage.ATTENDANCE_CONCERN: _not_at_risk,
    Stage.ATTENDANCE_PLAN: _not_persistent,
    Stage.SEVERE_ABSENCE_PLAN: _not_severe,
}


def daily_counts(view: PupilView) -> Iterator[tuple[date, Counts]]:
    """Year-to-date (attended, possible) at the end of each day that has marks."""
    attended = possible = 0
    if view.prior is not None:
        attended, possible = view.prior.measures.attended, view.prior.measures.possible
    current: date | None = None
    for mark in view.marks:
        if mark.school_date < view.year_start:
            continue
        if current is not None and mark.school_date != current:
            yield current, (attended, possible)
        current = mark.school_date
        klass = CODES[mark.code].klass if mark.code in CODES else CodeClass.NOT_POSSIBLE
        attended += klass in _ATTENDED
        possible += klass in _ATTENDED or klass in _ABSENT
    if current is not None:
        yield current, (attended, possible)


def held_since(view: PupilView, policy: Policy, test: Recovered, since: date) -> bool:
    """Every day-end from `since` to now passes `test` (and there was at least one)."""
    checked = False
    for day, counts in daily_counts(view):
        if day >= since:
            if not test(counts, policy):
                return False
            checked = True
    return checked


def has_window_this_year(view: PupilView, weeks: int) -> bool:
    """This academic year already has `weeks` school weeks up to the sweep's own week."""
    # Measures restart on 1 August: a window reaching into last year (or past the start of the
    # imported calendar) would judge six weeks of recovery on the new year's first days.
    starts = view.calendar.week_starts
    so_far = bisect_right(starts, view.on.school_date) - bisect_left(starts, view.year_start)
    return so_far >= weeks


def could_recover(view: PupilView, policy: Policy) -> bool:
    """A band stage could close today: its test passes on today's year-to-date counts (a
    window that must hold every day fails on its last day otherwise), or the view has no day
    to judge by. The counts are the same on any window, so a short one can answer this."""
    open_entries = [
        (entry, test)
        for stage, test in RECOVERY_TESTS.items()
        if (entry := view.case.open_stage(stage)) is not None
    ]
    if not open_entries:  # most pupils: no band stage to close
        return False
    window_start = view.calendar.school_week_start(
        view.on.school_date, policy.bands.recovery_school_weeks
    )
    tests = [test for entry, test in open_entries if entry.entered_date < window_start]
    if not tests or not has_window_this_year(view, policy.bands.recovery_school_weeks):
        return False
    today = deque(daily_counts(view), maxlen=1)
    return not today or any(test(today[0][1], policy) for test in tests)


@rule(Stage.ATTENDANCE_PLAN)
def recovery(view: PupilView, policy: Policy) -> list[Proposal]:
    """Close band stages whose line has held for `recovery_school_weeks` school weeks."""
    window_start = view.calendar.school_week_start(
        view.on.school_date, policy.bands.recovery_school_weeks
    )
    decisions: list[Proposal] = []
    if not has_window_this_year(view, policy.bands.recovery_school_weeks):
        return decisions
    for stage, test in RECOVERY_TESTS.items():
        entry = view.case.open_stage(stage)
        if entry is None or entry.entered_date >= window_start:
            continue
        if not held_since(view, policy, test, window_start):
            continue
        decisions.append(CloseStage(stage, entry.key, reason="attendance recovered"))
        decisions += message_parents(
            view,
            "recovery/parent",
            f"{entry.key}:recovered",
            stage,
            FAMILY_WRITTEN,
            {**measures_context(view), "closed_stage_title": SPECS[stage].title},
        )
    return decisions
