"""A sweep reads raw marks for a recent window and the rest of the year as totals: the rules
must decide exactly as they would on the whole history, every day of two school years."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import MISSING, fields, replace
from datetime import date
from types import MappingProxyType

import pytest

from casework.core.calendar import RegisterSession, academic_year_start, monday_of
from casework.core.codes import CODES as CODE_TABLE
from casework.core.codes import PENALTY
from casework.core.ladder.engine import decide
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, PupilView
from casework.core.ladder.window import (
    SHORT_WEEKS,
    Reading,
    counted_weeks,
    long_weeks,
    reading_for,
)
from casework.core.marks import SessionMark
from casework.core.measures import PriorTotals, illness_sessions, measure
from casework.core.policy import load_policy
from tests.ladder_factories import CALENDAR, case_after, make_stage, make_view, sweep_at

POLICY = load_policy()
LATE = frozenset(code for code, info in CODE_TABLE.items() if info.is_late)
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


def _counted(view: PupilView, window_start: date) -> PupilView:
    """The view as the sweep builds it on a window: raw marks from `window_start`, the year's
    earlier marks counted, and weekly counts behind the window."""
    day = view.on.school_date
    year_start = academic_year_start(day)
    before = [m for m in view.marks if year_start <= m.school_date < window_start]
    since = CALENDAR.school_week_start(day, counted_weeks(POLICY))
    behind = [m for m in view.marks if since <= m.school_date < window_start]
    penalty = Counter(monday_of(m.school_date) for m in behind if m.code in PENALTY)
    late = Counter(monday_of(m.school_date) for m in behind if m.code in LATE)
    prior = PriorTotals(
        window_start,
        measure(before),
        illness_sessions(before, year_start),
        tuple(m for m in before if m.code == "N"),
        tuple(sorted(penalty.items())),
        tuple(sorted(late.items())),
    )
    window = [m for m in view.marks if m.school_date >= window_start]
    return replace(view, marks=window, prior=prior)


def _windowed(view: PupilView) -> tuple[PupilView, str]:
    """The short window, lengthened, read back over the counted weeks, or read whole, as the
    sweep decides; and which."""
    day = view.on.school_date
    long_start = CALENDAR.school_week_start(day, long_weeks(POLICY))
    short_start = CALENDAR.school_week_start(day, SHORT_WEEKS)
    windowed = _counted(view, short_start)
    reading = reading_for(windowed, POLICY)
    if reading is Reading.WHOLE:
        back = _counted(view, CALENDAR.school_week_start(day, counted_weeks(POLICY)))
        if reading_for(back, POLICY) is not Reading.WHOLE:
            return back, "back"
        return view, "whole"
    if reading is Reading.LONG:
        return _counted(view, long_start), "long"
    return windowed, "short"


def _scattered(seed: int, codes: list[str], rate: float) -> list[SessionMark]:
    rng = random.Random(seed)
    marks: list[SessionMark] = []
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        for session in RegisterSession:
            code = rng.choice(codes) if rng.random() < rate else "/"
            marks.append(SessionMark(day, session, code, 10 if code in "LU" else None))
    return marks


def _scattered_marks(seed: int) -> list[SessionMark]:
    """Single unauthorised sessions scattered through present weeks: the legal count creeps up
    to its threshold with most of its sessions behind the raw-mark window."""
    return _scattered(seed, ["N", "O", "G", "U"], 0.09)


def _scattered_lates(seed: int) -> list[SessionMark]:
    """Late marks scattered the same way: the lateness count reaches its line over weeks."""
    return _scattered(seed, ["L", "L", "L", "U"], 0.12)


@pytest.mark.parametrize(
    ("marks_of", "seed"),
    [
        *((_year_of_marks, seed) for seed in (1, 2, 3, 4)),
        (_scattered_marks, 5),
        (_scattered_marks, 6),
        (_scattered_lates, 7),
        (_scattered_lates, 8),
    ],
)
def test_windowed_views_decide_as_the_whole_history_does(
    marks_of: Callable[[int], list[SessionMark]], seed: int
) -> None:
    _decide_every_day(marks_of(seed))


def _decide_every_day(marks: list[SessionMark]) -> Counter[str]:
    """Every school day of two years decided on the windowed view and on the whole history;
    how often each reading was taken."""
    case = make_view().case
    readings: Counter[str] = Counter()
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        view = make_view(marks, sweep_at(day, RegisterSession.AM), case=case)
        windowed, reading = _windowed(view)
        readings[reading] += 1
        assert windowed.measures == view.measures
        assert windowed.illness_sessions == view.illness_sessions
        decisions = decide(view, POLICY)
        assert decide(windowed, POLICY) == decisions, day
        case = case_after(case, decisions, day)
    return readings


def test_a_run_crossing_the_window_is_read_back_over_the_counted_weeks() -> None:
    """Runs of unauthorised absence of three to eight weeks, between present weeks: read back
    over the counted weeks, not the whole year, and decided as on the whole history."""
    marks: list[SessionMark] = []
    rng = random.Random(9)
    absent, left = False, 10
    for day in CALENDAR.school_days(date(2024, 9, 4), date(2026, 7, 21)):
        if left == 0:
            absent = not absent
            left = rng.randint(15, 40) if absent else rng.randint(5, 15)
        left -= 1
        code = rng.choice("OGN") if absent else "/"
        marks += [SessionMark(day, session, code) for session in RegisterSession]
    readings = _decide_every_day(marks)
    assert readings["back"] > 50, readings


def test_a_view_over_other_marks_keeps_every_other_field() -> None:
    """`PupilView.over` builds the view by hand for speed: it must give what `replace` gives,
    for every field, so a field added to the view cannot be dropped on the window."""

    base = make_view("Fri N, Mon /", "Mon 2025-09-15 AM")
    prior = PriorTotals(date(2025, 9, 8), measure(base.marks), 1, ())
    view = replace(
        base,
        case=CaseState(stages=(make_stage(Stage.ATTENDANCE_CONCERN, "2025-09-08"),)),
        extra=MappingProxyType({"note": "x"}),
        prior=prior,
        school_phone="+441865123456",
        school_email="office@school.example.org",
    )
    for field in fields(PupilView):  # every field set away from its default, or the test is blind
        default = field.default_factory() if field.default_factory is not MISSING else field.default
        assert getattr(view, field.name) != default, field.name
    marks = [SessionMark(date(2025, 9, 15), RegisterSession.AM, "/")]
    other = PriorTotals(date(2025, 9, 1), measure([]), 0, ())
    for prior_now in (other, None):
        built = view.over(marks, prior_now)
        wanted = replace(view, marks=marks, prior=prior_now)
        assert [getattr(built, f.name) for f in fields(PupilView)] == [
            getattr(wanted, f.name) for f in fields(PupilView)
        ]
