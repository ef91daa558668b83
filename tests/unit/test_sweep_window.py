"""A sweep reads raw marks for a recent window and the rest of the year as totals: the rules
must decide exactly as they would on the whole history, every day of two school years."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from casework.calendar import RegisterSession, academic_year_start, monday_of
from casework.codes import PENALTY
from casework.db.totals import window_weeks
from casework.ladder.engine import decide
from casework.ladder.legal import needs_marks_behind_window
from casework.ladder.view import PupilView, needs_whole_history
from casework.marks import SessionMark
from casework.measures import PriorTotals, illness_days, measure
from casework.policy import load_policy
from tests.ladder_factories import CALENDAR, case_after, make_view, sweep_at

POLICY = load_policy()
WINDOW_WEEKS = window_weeks(POLICY)
# Mostly present, with runs of absence of every kind so that bands, episodes, runs, lateness,
# the legal threshold and recovery all happen.
CODES = ["/"] * 30 + ["L", "N", "O", "G", "U", "I", "C", "M", "B", "X"]


def _year_of_marks(seed: int) -> list[SessionMark]:
    rng = random.Random(seed)
    marks: list[SessionMark] = []
    code, left = "/", 0
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        if left == 0:
            code = rng.choice(CODES)
            left = rng.choice([1, 1, 2, 3, 12, 25, 70]) if code != "/" else rng.randint(1, 30)
        left -= 1
        for session in RegisterSession:
            marks.append(SessionMark(day, session, code, 10 if code in "LU" else None))
    return marks


def _windowed(view: PupilView) -> PupilView:
    """The view as the sweep builds it: window marks plus the year's earlier marks counted."""
    day = view.on.school_date
    year_start = academic_year_start(day)
    window_start = CALENDAR.school_week_start(day, WINDOW_WEEKS)
    before = [m for m in view.marks if year_start <= m.school_date < window_start]
    prior = PriorTotals(
        window_start,
        measure(before),
        illness_days(before, year_start),
        tuple(m for m in before if m.code == "N"),
    )
    legal_since = CALENDAR.school_week_start(day, POLICY.legal.threshold_school_weeks)
    by_week = Counter(
        monday_of(m.school_date)
        for m in view.marks
        if legal_since <= m.school_date < window_start and m.code in PENALTY
    )
    prior = replace(prior, penalty_weeks=tuple(sorted(by_week.items())))
    window = [m for m in view.marks if m.school_date >= window_start]
    short = replace(view, marks=window, prior=prior)
    full = needs_whole_history(short) or needs_marks_behind_window(short, POLICY)
    return view if full else short


def _scattered_marks(seed: int) -> list[SessionMark]:
    """Single unauthorised sessions scattered through present weeks: the legal count creeps up
    to its threshold with most of its sessions behind the raw-mark window."""
    rng = random.Random(seed)
    marks: list[SessionMark] = []
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        for session in RegisterSession:
            code = rng.choice(["N", "O", "G", "U"]) if rng.random() < 0.09 else "/"
            marks.append(SessionMark(day, session, code, 10 if code == "U" else None))
    return marks


@pytest.mark.parametrize(
    ("marks_of", "seed"),
    [
        *((_year_of_marks, seed) for seed in (1, 2, 3, 4)),
        (_scattered_marks, 5),
        (_scattered_marks, 6),
    ],
)
def test_windowed_views_decide_as_the_whole_history_does(
    marks_of: Callable[[int], list[SessionMark]], seed: int
) -> None:
    marks = marks_of(seed)
    case = make_view().case
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        view = make_view(marks, sweep_at(day, RegisterSession.AM), case=case)
        windowed = _windowed(view)
        assert windowed.measures == view.measures
        assert windowed.illness_days == view.illness_days
        decisions = decide(view, POLICY)
        assert decide(windowed, POLICY) == decisions, day
        case = case_after(case, decisions, day)
