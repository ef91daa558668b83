"""The view answers some questions at once from this session's mark; it must answer them as the
full walks over the marks do, for every register (the walks are what DOMAIN rules 7-10 specify).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from casework.core.calendar import RegisterSession, SweepPoint
from casework.core.codes import CODES, GROUND_I, PENALTY
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, StageState
from casework.core.marks import SessionMark
from casework.core.measures import consecutive_school_days, unexplained_episode
from tests.factories import make_sweep
from tests.ladder_factories import CALENDAR, make_view

# Every code, weighted to runs of unexplained and unauthorised absence; the not-possible codes
# (X, Y, Z, #, ...) neither end nor extend a run, so they must reach the view's sweep too.
CODE_POOL = [*CODES, "N", "N", "O", "G", "U", "/", "/"]
RUN_CODES = [PENALTY, GROUND_I, frozenset({"N", "O"}), frozenset({"I"}), frozenset()]


def _register(rng: random.Random, on: SweepPoint) -> list[SessionMark]:
    """A fortnight of marks up to the sweep point: runs of one code, with gaps (no mark), and
    marks on days that are not school days (a weekend, a holiday) now and then."""
    marks: list[SessionMark] = []
    code = rng.choice(CODE_POOL)
    day = on.school_date - timedelta(days=14)
    while day <= on.school_date:
        for session in RegisterSession:
            if (day, session.value) > (on.school_date, on.session.value):
                break
            if rng.random() < 0.3:
                code = rng.choice(CODE_POOL)
            if rng.random() < 0.1:
                continue  # no mark for this session
            if CALENDAR.is_school_session(day, session) or rng.random() < 0.1:
                marks.append(SessionMark(day, session, code))
        day += timedelta(days=1)
    return marks


def _sweeps(rng: random.Random, count: int) -> list[SweepPoint]:
    days = [date(2025, 9, 1) + timedelta(days=n) for n in range(300)]
    picked = [rng.choice(days) for _ in range(count)]
    return [make_sweep(f"{day.isoformat()} {rng.choice(['AM', 'PM'])}") for day in picked]


def test_the_views_answers_match_the_walks_over_the_marks() -> None:
    rng = random.Random(20261124)
    at_once = walked = 0
    for on in _sweeps(rng, 4000):
        view = make_view(_register(rng, on), on)
        assert view.episode == unexplained_episode(view.marks, view.calendar, view.on)
        for codes in RUN_CODES:
            wanted = consecutive_school_days(view.marks, view.calendar, view.on, codes)
            assert view.school_days_in_run(codes) == wanted, (on, codes, view.marks[-3:])
        current = view.current_mark
        if current is not None and current.code not in PENALTY:
            at_once += 1
        else:
            walked += 1
    # Both ways of answering were put to the test.
    assert at_once > 1000
    assert walked > 1000


def test_a_run_ends_on_todays_possible_mark_outside_it() -> None:
    view = make_view("Mon U, Tue U, Wed /", "Wed 2025-09-17 AM")
    assert view.school_days_in_run(PENALTY) == 0
    assert view.episode is None


def test_a_not_possible_mark_today_ends_the_run() -> None:
    # DOMAIN rule 10: a not-possible code breaks a run like any other code outside it.
    view = make_view("Mon U, Tue U, Wed X", "Wed 2025-09-17 AM")
    assert view.school_days_in_run(PENALTY) == 0


def test_a_cases_open_stage_is_its_first_open_entry_of_that_stage() -> None:
    rng = random.Random(5)
    stages = list(Stage)
    for _ in range(500):
        entries = tuple(
            StageState(
                rng.choice(stages[:4]),
                f"k{i}",
                rng.choice(["open", "closed"]),
                date(2025, 9, 1) + timedelta(days=i),
                None,
                {},
            )
            for i in range(rng.randint(0, 6))
        )
        case = CaseState(stages=entries)
        for stage in stages[:5]:
            walked = [s for s in entries if s.stage == stage and s.status == "open"]
            assert case.open_stage(stage) == (walked[0] if walked else None)
