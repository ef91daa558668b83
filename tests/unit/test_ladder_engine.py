"""`decide(view, policy)`: enabled rules in catalogue order, then the guards; emit only on
change; optional stages an LA switched off never run (STYLE.md "The escalation ladder")."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from typing import ClassVar

import pytest

from casework.core.calendar import RegisterSession
from casework.core.ladder.engine import decide, decide_by_every_rule, nothing_to_decide
from casework.core.ladder.proposals import Proposal
from casework.core.ladder.stages import CATALOGUE, Stage
from casework.core.ladder.view import CaseState, DecisionState, PupilView
from casework.core.marks import SessionMark
from casework.core.measures import AttendanceMeasures, PriorTotals
from casework.core.policy import Policy
from tests.factories import make_sweep
from tests.ladder_factories import (
    CALENDAR,
    DEFAULT_POLICY,
    UPN,
    case_after,
    entered,
    identity,
    make_case,
    make_policy,
    make_register,
    make_stage,
    make_view,
    run_sweeps,
)

D = date.fromisoformat
SCHOOL_DAYS = CALENDAR.school_days(date(2025, 9, 15), date(2026, 7, 10))
SHUT_DAYS = [
    d
    for d in (date(2025, 9, 15) + timedelta(days=n) for n in range(290))
    if not CALENDAR.is_school_day(d)
]


def severe() -> list[SessionMark]:
    return make_register("2025-09-15", "2025-09-26", "I", overrides="2025-09-15 /, 2025-09-16 /")


def persistent() -> list[SessionMark]:
    return make_register("2025-09-15", "2025-09-26", overrides="2025-09-15 M")


def at_risk() -> list[SessionMark]:
    return make_register("2025-09-15", "2025-09-29", overrides="2025-09-15 AM M, 2025-09-29 AM M")


def late() -> list[SessionMark]:
    return make_register("2025-09-15", "2025-09-26", "L")


def plan_review_case() -> PupilView:
    """A plan entered on 15 Sep at 90 % whose six-week review finds 80 %."""
    case = make_case(
        make_stage(
            Stage.ATTENDANCE_PLAN,
            "2025-09-15",
            context={"attended_sessions": "18", "possible_sessions": "20"},
        ),
        make_stage(Stage.LA_REFERRAL, "2025-09-15"),
        make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-15"),
        keys=[f"{UPN}:referral:persistent_absence:2025"],
    )
    mondays = "2025-09-15 M, 2025-09-22 M, 2025-09-29 M, 2025-10-06 M, 2025-10-13 M, 2025-10-20 M"
    register = make_register("2025-09-15", "2025-11-03", overrides=f"{mondays}, 2025-11-03 M")
    return make_view(register, "2025-11-03 AM", case=case)


VIEWS: dict[str, PupilView] = {
    "first_day": make_view("Mon N", "Mon 2025-09-15 AM"),
    "home_visit": make_view("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM"),
    "at_risk": make_view(at_risk(), "2025-09-29 AM"),
    "persistent": make_view(persistent(), "2025-09-26 PM"),
    "severe": make_view(severe(), "2025-09-26 PM", social_worker_email="sw@example.org"),
    "late": make_view(late(), "2025-09-26 PM"),
    "plan_review": plan_review_case(),
    "unauthorised": make_view(make_register("2025-09-03", "2025-10-14", "G"), "2025-10-14 PM"),
    "n_unresolved": make_view(
        make_register("2025-09-15", "2025-09-22", overrides="2025-09-15 AM N"), "2025-09-22 AM"
    ),
    "looked_after": make_view("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM", looked_after=True),
}


class TestCatalogueOrder:
    def test_stages_are_entered_in_catalogue_order_when_several_fire_at_once(self) -> None:
        """Rules run in catalogue order, so decisions read as the ladder does."""
        order = [spec.stage for spec in CATALOGUE]
        stages = entered(decide(VIEWS["severe"], DEFAULT_POLICY))
        assert stages == sorted(stages, key=order.index)
        assert stages[:2] == [Stage.ATTENDANCE_PLAN, Stage.LA_REFERRAL]


class TestEmitOnlyOnChange:
    @pytest.mark.parametrize("name", sorted(VIEWS))
    def test_nothing_is_decided_when_the_case_already_holds_every_key(self, name: str) -> None:
        """A re-run sweep over a case holding what the first run created decides nothing."""
        view = VIEWS[name]
        first = decide(view, DEFAULT_POLICY)
        assert first, "the view should decide something the first time"
        again = PupilView(
            view.pupil,
            view.school_name,
            view.marks,
            view.calendar,
            case_after(view.case, first, view.on.school_date),
            view.on,
        )
        assert decide(again, DEFAULT_POLICY) == []

    @pytest.mark.parametrize("name", sorted(VIEWS))
    def test_no_key_is_proposed_twice_when_one_sweep_decides(self, name: str) -> None:
        """Every decision of one sweep has its own key."""
        keys = Counter(identity(d) for d in decide(VIEWS[name], DEFAULT_POLICY))
        assert [k for k, n in keys.items() if n > 1] == []

    def test_no_key_repeats_when_a_whole_half_term_is_swept(self) -> None:
        """Across every AM and PM sweep of a messy half term nothing is proposed twice."""
        register = make_register(
            "2025-09-03",
            "2025-10-24",
            overrides=", ".join(
                [
                    "2025-09-08 N, 2025-09-09 N, 2025-09-10 N, 2025-09-11 AM N",
                    "2025-09-15 AM L, 2025-09-16 AM L, 2025-09-17 AM L, 2025-09-18 AM L",
                    "2025-09-22 G, 2025-09-23 G, 2025-09-24 G, 2025-09-25 G, 2025-09-26 G",
                    "2025-09-29 I, 2025-09-30 I, 2025-10-01 AM O, 2025-10-02 AM N",
                    "2025-10-06 AM L, 2025-10-07 AM L, 2025-10-08 AM L, 2025-10-09 AM L",
                    "2025-10-10 AM L",
                    "2025-10-13 N, 2025-10-14 N, 2025-10-20 I, 2025-10-21 M, 2025-10-22 AM U",
                ]
            ),
        )
        swept = run_sweeps(
            register,
            "2025-09-03",
            "2025-10-24",
            social_worker_email="sw@example.org",
            yot_worker_email="yot@example.org",
            looked_after=True,
        )
        keys = Counter(identity(d) for s in swept for d in s.decisions)
        assert [k for k, n in keys.items() if n > 1] == []
        assert len(keys) > 50  # the run really did escalate


class TestSwitchedOff:
    @pytest.mark.parametrize(
        ("stage", "view"),
        [
            (Stage.HOME_VISIT, "home_visit"),
            (Stage.ATTENDANCE_CONCERN, "at_risk"),
            (Stage.STRENGTHS_AND_NEEDS, "persistent"),
            (Stage.TEAM_AROUND_FAMILY, "severe"),
            (Stage.PERSISTENT_LATENESS, "late"),
            (Stage.PARENTING_CONTRACT, "plan_review"),
        ],
    )
    def test_optional_stage_never_entered_when_the_policy_disables_it(
        self, stage: Stage, view: str
    ) -> None:
        """An LA may switch optional stages off; the rest of the ladder still runs."""
        with_stage = entered(decide(VIEWS[view], DEFAULT_POLICY))
        policy = make_policy(stages={"disabled": [stage.value]})
        without = entered(decide(VIEWS[view], policy))
        assert stage in with_stage
        assert [s for s in with_stage if s != stage] == without

    def test_professionals_not_told_of_a_stage_that_was_switched_off(self) -> None:
        """Guards notify what was decided, so a disabled stage sends no professional email."""
        policy = make_policy(stages={"disabled": ["home_visit"]})
        decisions: list[Proposal] = decide(VIEWS["looked_after"], policy)
        assert not [d for d in decisions if "home_visit" in identity(d)]


class TestNothingToDecide:
    """`decide` skips the rules for a view `nothing_to_decide` passes: on every view, quiet or
    one line away from a rule firing, it must decide exactly what asking every rule decides."""

    # Each register leans one way, so that a view is often quiet but for one thing: lateness,
    # illness, an unresolved N, unauthorised sessions, a band, an episode, a missing mark.
    LEANINGS: ClassVar[dict[str, list[str]]] = {
        "here": ["/"],
        "late": ["/", "L", "L"],
        "ill": ["/", "/", "I"],
        "unexplained": ["/"] * 12 + ["N"],
        "unauthorised": ["/"] * 6 + ["U", "G", "O"],
        "truant": ["U", "G", "O"],
        "away": ["/", "M", "C", "B", "X"],
    }
    TIGHT = make_policy(
        absence={
            "illness_referral_days": 3,
            "n_unresolved_school_days": 1,
            "home_visit_on_day": 2,
            "la_referral_unauthorised_days": 3,
            "cme_enquiry_days": 4,
        },
        support={"lateness_marks": 3},
        legal={"threshold_sessions": 3},
        bands={"min_possible_sessions": 0},
    )

    def _view(self, rng: random.Random) -> PupilView:
        # Now and then a day the school is shut (a weekend, a holiday) with a mark on it: its
        # mark neither ends nor extends a run.
        day = rng.choice(SCHOOL_DAYS if rng.random() < 0.9 else SHUT_DAYS)
        on = make_sweep(f"{day.isoformat()} {rng.choice(['AM', 'PM'])}")
        codes = self.LEANINGS[rng.choice(sorted(self.LEANINGS))]
        start = CALENDAR.school_week_start(day, 2)
        marks = [
            SessionMark(d, s, rng.choice(codes))
            for d in CALENDAR.school_days(start, day)
            for s in RegisterSession
            if rng.random() > 0.03
        ]
        if day in SHUT_DAYS:
            marks.append(SessionMark(day, on.session, "/"))
        if rng.random() < 0.6 and marks:  # this session's mark: usually here, sometimes late
            last = marks[-1]
            marks[-1] = SessionMark(last.school_date, last.session, rng.choice(["/", "/", "L"]))
        view = make_view(
            marks,
            on,
            case=self._case(rng, day),
            date_of_birth=rng.choice([date(2014, 3, 14), date(2008, 1, 5)]),
            social_worker_email=rng.choice([None, None, "sw@example.org"]),
        )
        if rng.random() < 0.2:
            return view  # the marks are the whole history
        possible = rng.randint(0, 300)
        absent = min(possible, int(possible * rng.choice([0, 0.02, 0.04, 0.06, 0.12, 0.6])))
        authorised = absent // 2
        earlier_n = (SessionMark(start - timedelta(days=10), RegisterSession.AM, "N"),)
        prior = PriorTotals(
            start,
            AttendanceMeasures(possible, possible - absent, 0, authorised, absent - authorised, 0),
            rng.choice([0, 1, 2, 13, 14, 15, 16]),
            earlier_n if rng.random() < 0.1 else (),
        )
        return replace(view, prior=prior)

    def _case(self, rng: random.Random, day: date) -> CaseState:
        pick = rng.random()
        if pick < 0.6:
            return CaseState()
        if pick < 0.75:
            return make_case(keys=[f"{UPN}:referral:illness:2025"])
        if pick < 0.8:  # a prosecution waiting for a person as its time limit nears
            context = {
                "warn_from_date": (day - timedelta(days=3)).isoformat(),
                "last_absence_date": (day - timedelta(days=150)).isoformat(),
                "lay_by_date": (day + timedelta(days=30)).isoformat(),
            }
            waiting = DecisionState(
                Stage.PROSECUTION, f"{UPN}:prosecution", "requested", day, None, context
            )
            return make_case(decisions=[waiting])
        stage = rng.choice([s.stage for s in CATALOGUE])
        return make_case(make_stage(stage, (day - timedelta(days=50)).isoformat()))

    # Runs referred long before the legal threshold counts them.
    RUNS_FIRST = make_policy(
        absence={"home_visit_on_day": 2, "la_referral_unauthorised_days": 3, "cme_enquiry_days": 4},
        legal={"threshold_sessions": 40},
    )

    @pytest.mark.parametrize(
        "policy", [DEFAULT_POLICY, TIGHT, RUNS_FIRST], ids=["default", "tight", "runs_first"]
    )
    def test_deciding_with_the_screen_is_deciding_by_every_rule(self, policy: Policy) -> None:
        rng = random.Random(2611)
        quiet = busy = 0
        for _ in range(4000):
            view = self._view(rng)
            wanted = decide_by_every_rule(view, policy)
            assert decide(view, policy) == wanted, (view.marks[-4:], view.prior, view.case)
            if nothing_to_decide(view, policy):
                quiet += 1
            busy += bool(wanted)
        # Both kinds of view were asked about, in numbers.
        assert quiet > 150, quiet
        assert busy > 800, busy

    def test_a_pupil_here_with_nothing_on_the_ladder_is_quiet(self) -> None:
        assert nothing_to_decide(make_view("Mon /, Tue /", "Tue 2025-09-16 AM"), DEFAULT_POLICY)

    def test_a_pupil_away_today_is_not(self) -> None:
        view = make_view("Mon /, Tue N", "Tue 2025-09-16 AM")
        assert not nothing_to_decide(view, DEFAULT_POLICY)
        assert decide(view, DEFAULT_POLICY)
