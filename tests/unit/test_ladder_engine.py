"""`decide(view, policy)`: enabled rules in catalogue order, then the guards; emit only on
change; optional stages an LA switched off never run (STYLE.md "The escalation ladder")."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from casework.ladder.decisions import Decision
from casework.ladder.engine import decide
from casework.ladder.stages import CATALOGUE, Stage
from casework.ladder.view import PupilView
from casework.marks import SessionMark
from tests.ladder_factories import (
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
        decisions: list[Decision] = decide(VIEWS["looked_after"], policy)
        assert not [d for d in decisions if "home_visit" in identity(d)]
