"""Formal support the register drives: Strengths and Needs consent, Team Around the Family,
plan and TAF reviews, the attendance contract (DOMAIN.md Part 1 rules 13–15 and 18)."""

from __future__ import annotations

from datetime import date

import pytest

from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import Channel, OpenTask, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, StageState
from casework.core.marks import SessionMark
from tests.ladder_factories import (
    DEFAULT_POLICY,
    UPN,
    entered,
    make_case,
    make_policy,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
    stage_key,
    task_kinds,
)

D = date.fromisoformat
PLAN_CONTEXT = {"attended_sessions": "18", "possible_sessions": "20"}  # 90 % when entered


def persistent(end: str = "2025-09-26") -> list[SessionMark]:
    """Present from 15 Sep except every Monday off with a medical appointment: 80 %."""
    register = make_register("2025-09-15", end)
    mondays = ", ".join(
        f"{m.school_date.isoformat()} M"
        for m in register
        if m.school_date.weekday() == 0 and m.session == "AM"
    )
    return make_register("2025-09-15", end, overrides=mondays)


class TestStrengthsAndNeeds:
    def test_consent_requested_when_pupil_becomes_persistently_absent(self) -> None:
        """Rule 14: a consent_request task due in 5 school days and a written request home."""
        decisions = decide(make_view(persistent(), "2025-09-26 PM"), DEFAULT_POLICY)
        assert Stage.STRENGTHS_AND_NEEDS in entered(decisions)
        consent = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.CONSENT_REQUEST]
        assert [t.due_date for t in consent] == [D("2025-10-03")]
        home = [m for m in messages(decisions) if m.stage is Stage.STRENGTHS_AND_NEEDS]
        assert {m.to.channel for m in home} <= {Channel.EMAIL, Channel.LETTER}

    def test_due_date_follows_policy_when_consent_request_days_change(self) -> None:
        """`support.consent_request_due_school_days` sets the consent task's due date."""
        policy = make_policy(support={"consent_request_due_school_days": 1})
        tasks = of_type(decide(make_view(persistent(), "2025-09-26 PM"), policy), OpenTask)
        assert [t.due_date for t in tasks if t.kind is TaskKind.CONSENT_REQUEST] == [
            D("2025-09-29")
        ]

    def test_not_asked_again_when_declined_earlier_this_year(self) -> None:
        """One request a year: a closed (declined) form this year is not reopened."""
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-26", status="closed"))
        decisions = decide(
            make_view(persistent("2025-10-10"), "2025-10-10 PM", case=case), DEFAULT_POLICY
        )
        assert Stage.STRENGTHS_AND_NEEDS not in entered(decisions)

    def test_asked_again_when_the_last_request_was_last_year(self) -> None:
        """A new academic year is a new request."""
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-06-02", status="closed"))
        decisions = decide(make_view(persistent(), "2025-09-26 PM", case=case), DEFAULT_POLICY)
        assert Stage.STRENGTHS_AND_NEEDS in entered(decisions)

    def test_nothing_when_the_la_switched_the_stage_off(self) -> None:
        """An optional stage disabled in the policy file never runs."""
        policy = make_policy(stages={"disabled": ["strengths_and_needs"]})
        decisions = decide(make_view(persistent(), "2025-09-26 PM"), policy)
        assert Stage.STRENGTHS_AND_NEEDS not in entered(decisions)
        assert TaskKind.CONSENT_REQUEST not in task_kinds(decisions)


class TestTeamAroundFamilyOnSevereAbsence:
    def severe(self) -> list[SessionMark]:
        return make_register(
            "2025-09-15",
            "2025-09-26",
            "I",
            overrides=("2025-09-15 /, 2025-09-16 /, 2025-09-17 /, 2025-09-18 /, 2025-09-19 /"),
        )

    def test_taf_convened_within_fifteen_school_days_when_absence_is_severe(self) -> None:
        """Rule 15: severe absence convenes a TAF meeting due in 15 school days."""
        decisions = decide(make_view(self.severe(), "2025-09-26 PM"), DEFAULT_POLICY)
        taf = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.TAF_MEETING]
        assert [t.due_date for t in taf] == [D("2025-10-17")]

    def test_due_date_follows_policy_when_taf_meeting_days_change(self) -> None:
        """`support.taf_meeting_due_school_days` sets the meeting's due date."""
        policy = make_policy(support={"taf_meeting_due_school_days": 5})
        tasks = of_type(decide(make_view(self.severe(), "2025-09-26 PM"), policy), OpenTask)
        assert [t.due_date for t in tasks if t.kind is TaskKind.TAF_MEETING] == [D("2025-10-03")]

    def test_no_taf_when_the_la_switched_it_off(self) -> None:
        """A disabled TAF is not convened even for severe absence; the severe plan still is."""
        policy = make_policy(stages={"disabled": ["team_around_family"]})
        decisions = decide(make_view(self.severe(), "2025-09-26 PM"), policy)
        assert Stage.TEAM_AROUND_FAMILY not in entered(decisions)
        assert Stage.SEVERE_ABSENCE_PLAN in entered(decisions)

    def test_no_second_taf_when_one_is_open(self) -> None:
        """Emit only on change."""
        case = make_case(make_stage(Stage.TEAM_AROUND_FAMILY, "2025-09-22"))
        decisions = decide(make_view(self.severe(), "2025-09-26 PM", case=case), DEFAULT_POLICY)
        assert Stage.TEAM_AROUND_FAMILY not in entered(decisions)


def plan_case(*extra: StageState, keys: tuple[str, ...] = (), **context: str) -> CaseState:
    """A persistent-absence case from Mon 15 Sep: plan, LA referral and form already open."""
    plan = make_stage(Stage.ATTENDANCE_PLAN, "2025-09-15", context=context or PLAN_CONTEXT)
    return make_case(
        plan,
        make_stage(Stage.LA_REFERRAL, "2025-09-15"),
        make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-15"),
        *extra,
        keys=[f"{UPN}:referral:persistent_absence:2025", *keys],
    )


PLAN_KEY = stage_key(Stage.ATTENDANCE_PLAN, "2025-09-15")


class TestPlanReviews:
    @pytest.mark.parametrize(
        ("sweep", "expected"),
        [
            ("2025-10-24 PM", []),  # five school weeks on
            (
                "2025-11-03 AM",
                [TaskKind.PLAN_REVIEW, TaskKind.CONTRACT_OFFER],
            ),  # six; half term skipped
        ],
    )
    def test_review_every_six_school_weeks_and_contract_when_not_improving(
        self, sweep: str, expected: list[TaskKind]
    ) -> None:
        """Rules 13 and 18: a review falls due six school weeks after the plan; still
        persistent and no better than at the start means an attendance contract is offered."""
        case = plan_case()
        decisions = decide(make_view(persistent("2025-11-03"), sweep, case=case), DEFAULT_POLICY)
        assert task_kinds(decisions) == expected
        if expected:
            assert entered(decisions) == [Stage.PARENTING_CONTRACT]
            letters = [m for m in messages(decisions) if m.stage is Stage.PARENTING_CONTRACT]
            assert {m.to.channel for m in letters} == {Channel.LETTER}
            offer = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.CONTRACT_OFFER]
            assert [t.due_date for t in offer] == [D("2025-11-17")]

    def test_review_only_when_attendance_has_improved(self) -> None:
        """Better than at the start, even if still persistent: a review, no contract."""
        case = plan_case(attended_sessions="10", possible_sessions="20")
        decisions = decide(
            make_view(persistent("2025-11-03"), "2025-11-03 AM", case=case), DEFAULT_POLICY
        )
        assert task_kinds(decisions) == [TaskKind.PLAN_REVIEW]

    def test_review_interval_follows_policy_when_plan_review_weeks_change(self) -> None:
        """`support.plan_review_school_weeks` sets the interval."""
        policy = make_policy(support={"plan_review_school_weeks": 2})
        case = plan_case()
        decisions = decide(make_view(persistent("2025-09-29"), "2025-09-29 AM", case=case), policy)
        assert TaskKind.PLAN_REVIEW in task_kinds(decisions)

    def test_each_review_once_when_later_sweeps_see_it_due(self) -> None:
        """Emit only on change: review 1 is keyed and not opened again."""
        case = plan_case(keys=(f"{PLAN_KEY}:review:1",))
        decisions = decide(
            make_view(persistent("2025-11-04"), "2025-11-04 AM", case=case), DEFAULT_POLICY
        )
        assert decisions == []

    def test_no_second_contract_when_one_was_offered_this_year(self) -> None:
        """An attendance contract is offered once a year; the review still happens."""
        case = plan_case(make_stage(Stage.PARENTING_CONTRACT, "2025-10-01", status="closed"))
        decisions = decide(
            make_view(persistent("2025-11-03"), "2025-11-03 AM", case=case), DEFAULT_POLICY
        )
        assert task_kinds(decisions) == [TaskKind.PLAN_REVIEW]

    def test_no_contract_when_the_la_switched_contracts_off(self) -> None:
        """A disabled parenting_contract stage is never offered."""
        policy = make_policy(stages={"disabled": ["parenting_contract"]})
        case = plan_case()
        decisions = decide(make_view(persistent("2025-11-03"), "2025-11-03 AM", case=case), policy)
        assert task_kinds(decisions) == [TaskKind.PLAN_REVIEW]


class TestTafReviews:
    @pytest.mark.parametrize(
        ("weeks", "sweep", "expected"),
        [
            (6, "2025-10-24 PM", []),
            (6, "2025-11-03 AM", [TaskKind.TAF_REVIEW]),
            (3, "2025-10-06 AM", [TaskKind.TAF_REVIEW]),
        ],
    )
    def test_review_due_every_n_school_weeks_when_taf_is_open(
        self, weeks: int, sweep: str, expected: list[TaskKind]
    ) -> None:
        """Rule 15: TAF reviews every `support.taf_review_school_weeks` school weeks."""
        policy = make_policy(support={"taf_review_school_weeks": weeks})
        case = make_case(make_stage(Stage.TEAM_AROUND_FAMILY, "2025-09-15"))
        register = make_register("2025-09-15", "2025-11-03")
        assert task_kinds(decide(make_view(register, sweep, case=case), policy)) == expected
