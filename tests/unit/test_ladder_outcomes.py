"""What a caseworker's recorded outcome sets going (DOMAIN.md Part 1 rules 8, 14, 15, 18)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casework.core.ladder.guards import apply_guards
from casework.core.ladder.outcomes import FOLLOW_UPS, OUTCOMES, follow_up
from casework.core.ladder.proposals import (
    CloseStage,
    OpenTask,
    OwnerRole,
    Proposal,
    RecipientRole,
    RequestDecision,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, DecisionState
from casework.core.policy import Policy
from tests.ladder_factories import (
    DEFAULT_POLICY,
    closed,
    entered,
    make_case,
    make_policy,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
)

D = date.fromisoformat
TASK_KEY = "X931400226001:some_stage:2025-09-15:task"


def outcome(
    kind: TaskKind,
    result: str,
    *,
    on: str = "Mon 2025-09-15 PM",
    case: CaseState | None = None,
    policy: Policy = DEFAULT_POLICY,
    **pupil: Any,
) -> list[Proposal]:
    """The follow-ups of completing a `kind` task with `result` on a school date."""
    register = make_register("2025-09-03", on.split()[1])
    view = make_view(register, on, case=case, **pupil)
    return follow_up(view, policy, kind, result, TASK_KEY)


class TestHomeVisitOutcome:
    def test_safeguarding_review_for_the_dsl_today_when_child_not_seen(self) -> None:
        """Rule 8: a child not seen at a home visit goes to the designated safeguarding lead the
        same day."""
        tasks = of_type(outcome(TaskKind.HOME_VISIT, "child_not_seen"), OpenTask)
        assert [(t.kind, t.owner_role, t.due_date, t.key) for t in tasks] == [
            (
                TaskKind.SAFEGUARDING_REVIEW,
                OwnerRole.DSL,
                D("2025-09-15"),
                f"{TASK_KEY}:safeguarding",
            )
        ]

    def test_nothing_follows_when_child_seen(self) -> None:
        """A child seen needs no safeguarding review."""
        assert outcome(TaskKind.HOME_VISIT, "child_seen") == []


class TestStrengthsAndNeedsOutcomes:
    def test_form_to_complete_within_twenty_school_days_when_consent_given(self) -> None:
        """Rule 14: consent given opens an snf_complete task due in 20 school days."""
        tasks = of_type(outcome(TaskKind.CONSENT_REQUEST, "consent_given"), OpenTask)
        assert [(t.kind, t.due_date) for t in tasks] == [(TaskKind.SNF_COMPLETE, D("2025-10-13"))]

    def test_form_due_date_follows_policy_when_snf_days_change(self) -> None:
        """`support.snf_complete_due_school_days` sets the form's due date."""
        policy = make_policy(support={"snf_complete_due_school_days": 5})
        tasks = of_type(outcome(TaskKind.CONSENT_REQUEST, "consent_given", policy=policy), OpenTask)
        assert [t.due_date for t in tasks] == [D("2025-09-22")]

    @pytest.mark.parametrize(
        ("kind", "result"),
        [
            (TaskKind.CONSENT_REQUEST, "consent_declined"),
            (TaskKind.CONSENT_REQUEST, "consent_withdrawn"),
            (TaskKind.SNF_COMPLETE, "consent_withdrawn"),
            (TaskKind.SNF_COMPLETE, "no_needs_identified"),
        ],
    )
    def test_stage_closes_with_the_reason_when_consent_ends_or_no_needs(
        self, kind: TaskKind, result: str
    ) -> None:
        """Early help is consent-based: declined or withdrawn is recorded and the stage closes."""
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-08"))
        decisions = outcome(kind, result, case=case)
        assert closed(decisions) == [Stage.STRENGTHS_AND_NEEDS]
        assert of_type(decisions, CloseStage)[0].reason

    def test_nothing_to_close_when_the_stage_is_not_open(self) -> None:
        """A declined consent on a case with no open form changes nothing."""
        assert outcome(TaskKind.CONSENT_REQUEST, "consent_declined") == []

    def test_taf_convened_when_the_form_identifies_needs(self) -> None:
        """Rule 15: needs identified closes the form and convenes a TAF within 15 school days."""
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-08"))
        decisions = outcome(TaskKind.SNF_COMPLETE, "needs_identified", case=case)
        assert closed(decisions) == [Stage.STRENGTHS_AND_NEEDS]
        assert entered(decisions) == [Stage.TEAM_AROUND_FAMILY]
        taf = of_type(decisions, OpenTask)
        assert [(t.kind, t.due_date) for t in taf] == [(TaskKind.TAF_MEETING, D("2025-10-06"))]

    def test_no_taf_when_the_la_switched_it_off(self) -> None:
        """A disabled stage is not entered by an outcome either."""
        policy = make_policy(stages={"disabled": ["team_around_family"]})
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-08"))
        decisions = outcome(TaskKind.SNF_COMPLETE, "needs_identified", case=case, policy=policy)
        assert entered(decisions) == []

    def test_social_worker_told_when_an_outcome_escalates(self) -> None:
        """The guards run on outcomes too: a TAF for a pupil with a social worker is emailed."""
        case = make_case(make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-08"))
        register = make_register("2025-09-03", "2025-09-15")
        view = make_view(register, "2025-09-15 PM", case=case, social_worker_email="sw@example.org")
        proposed = follow_up(
            view, DEFAULT_POLICY, TaskKind.SNF_COMPLETE, "needs_identified", TASK_KEY
        )
        told = [
            m
            for m in messages(apply_guards(view, DEFAULT_POLICY, proposed))
            if m.to.role is RecipientRole.SOCIAL_WORKER
        ]
        assert [m.stage for m in told] == [Stage.TEAM_AROUND_FAMILY]


class TestContractOutcomes:
    def test_first_review_in_four_school_weeks_when_contract_signed(self) -> None:
        """Rule 18: a signed contract is reviewed after `support.contract_review_school_weeks`."""
        tasks = of_type(outcome(TaskKind.CONTRACT_OFFER, "signed"), OpenTask)
        assert [(t.kind, t.due_date) for t in tasks] == [
            (TaskKind.CONTRACT_REVIEW, D("2025-10-13"))
        ]

    def test_review_date_follows_policy_and_skips_half_term_when_weeks_change(self) -> None:
        """Six school weeks from Mon 15 Sep lands after half term, on Mon 3 Nov."""
        policy = make_policy(support={"contract_review_school_weeks": 6})
        tasks = of_type(outcome(TaskKind.CONTRACT_OFFER, "signed", policy=policy), OpenTask)
        assert [t.due_date for t in tasks] == [D("2025-11-03")]

    def test_refusal_recorded_and_stage_closed_when_contract_declined(self) -> None:
        """A refused contract is recorded as evidence."""
        case = make_case(make_stage(Stage.PARENTING_CONTRACT, "2025-09-08"))
        decisions = outcome(TaskKind.CONTRACT_OFFER, "declined", case=case)
        assert closed(decisions) == [Stage.PARENTING_CONTRACT]
        assert "evidence" in of_type(decisions, CloseStage)[0].reason

    @pytest.mark.parametrize(
        ("kind", "result"),
        [
            (TaskKind.ATTENDANCE_MEETING, "not_attended"),
            (TaskKind.SEVERE_ABSENCE_MEETING, "not_attended"),
            (TaskKind.PLAN_REVIEW, "not_improving"),
        ],
    )
    def test_contract_offered_when_support_is_not_engaged_with(
        self, kind: TaskKind, result: str
    ) -> None:
        """Rule 18: a missed meeting or no improvement at review offers an attendance contract."""
        decisions = outcome(kind, result)
        assert entered(decisions) == [Stage.PARENTING_CONTRACT]
        assert [t.kind for t in of_type(decisions, OpenTask)] == [TaskKind.CONTRACT_OFFER]

    def test_no_offer_when_contracts_are_switched_off(self) -> None:
        """A disabled parenting_contract is never offered."""
        policy = make_policy(stages={"disabled": ["parenting_contract"]})
        assert outcome(TaskKind.ATTENDANCE_MEETING, "not_attended", policy=policy) == []


OFFER = "X931400226001:parenting_contract:2025-09-08:offer"
CONTRACT = make_stage(Stage.PARENTING_CONTRACT, "2025-09-08")
ABSENT = "2025-09-22 N, 2025-09-23 N, 2025-09-24 O, 2025-10-01 AM G"  # 7 unauthorised sessions


def review(
    result: str,
    key: str,
    *,
    absences: str = ABSENT,
    case: CaseState | None = None,
    policy: Policy = DEFAULT_POLICY,
    **pupil: Any,
) -> list[Proposal]:
    """Complete the contract review `key` with `result` on Mon 13 Oct 2025 (PM)."""
    register = make_register("2025-09-03", "2025-10-13", overrides=absences)
    view = make_view(register, "Mon 2025-10-13 PM", case=case or make_case(CONTRACT), **pupil)
    return follow_up(view, policy, TaskKind.CONTRACT_REVIEW, result, key)


def approved_nti(decided: str) -> DecisionState:
    return DecisionState(
        Stage.NOTICE_TO_IMPROVE,
        "X:notice_to_improve:decision",
        "approved",
        D(decided),
        D(decided),
        {},
    )


class TestContractReviews:
    @pytest.mark.parametrize(
        ("key", "next_key"),
        [(f"{OFFER}:review", f"{OFFER}:review:2"), (f"{OFFER}:review:2", f"{OFFER}:review:3")],
    )
    def test_next_review_follows_when_the_contract_is_kept(self, key: str, next_key: str) -> None:
        """Rule 18: a contract kept at a review runs on to its next review, n school weeks on."""
        tasks = of_type(review("kept", key), OpenTask)
        assert [(t.kind, t.key, t.due_date) for t in tasks] == [
            (TaskKind.CONTRACT_REVIEW, next_key, D("2025-11-17"))  # 4 school weeks over half term
        ]
        assert closed(review("kept", key)) == []

    def test_first_review_keyed_on_the_offer_when_signed(self) -> None:
        """The first review's key is the offer's key plus `:review` (later ones number on)."""
        view = make_view(make_register("2025-09-03", "2025-09-15"), "Mon 2025-09-15 PM")
        tasks = of_type(
            follow_up(view, DEFAULT_POLICY, TaskKind.CONTRACT_OFFER, "signed", OFFER), OpenTask
        )
        assert [t.key for t in tasks] == [f"{OFFER}:review"]

    def test_contract_closed_as_kept_when_the_reviewer_ends_it(self) -> None:
        """`ended` closes the contract, kept, with no further review and no decision."""
        decisions = review("ended", f"{OFFER}:review:3")
        assert closed(decisions) == [Stage.PARENTING_CONTRACT]
        assert "review 3: kept" in of_type(decisions, CloseStage)[0].reason
        assert of_type(decisions, OpenTask) == []
        assert of_type(decisions, RequestDecision) == []


class TestContractBreach:
    def test_breach_closes_the_contract_and_asks_for_a_notice_to_improve(self) -> None:
        """Rules 18-20: a breach is recorded as evidence and opens the next legal decision."""
        decisions = review("breached", f"{OFFER}:review:2")
        assert closed(decisions) == [Stage.PARENTING_CONTRACT]
        assert isinstance(decisions[0], CloseStage)
        assert "breached on 2025-10-13 (recorded as evidence)" in decisions[0].reason
        (asked,) = of_type(decisions, RequestDecision)
        assert asked.stage is Stage.NOTICE_TO_IMPROVE
        assert asked.key == f"{OFFER}:review:2:breach:decision"
        assert "review 2" in asked.reason
        assert "7 unauthorised session(s)" in asked.reason
        assert (asked.context["period_start"], asked.context["period_end"]) == (
            "2025-09-22",
            "2025-10-01",
        )
        assert asked.context["source"] == "contract_breach"

    def test_breach_asks_for_a_penalty_notice_when_a_notice_to_improve_was_given(self) -> None:
        """Rule 20: after a Notice to Improve the next step is a penalty notice."""
        case = make_case(CONTRACT, decisions=[approved_nti("2025-09-10")])
        (asked,) = of_type(review("breached", f"{OFFER}:review", case=case), RequestDecision)
        assert asked.stage is Stage.PENALTY_NOTICE
        assert "already given on 2025-09-10" in asked.reason

    @pytest.mark.parametrize(
        ("absences", "pupil"),
        [
            ("", {}),  # no unauthorised absence to weigh
            (ABSENT, {"date_of_birth": D("2021-03-14")}),  # below compulsory school age
        ],
    )
    def test_breach_recorded_without_a_decision_when_no_legal_step_can_follow(
        self, absences: str, pupil: dict[str, Any]
    ) -> None:
        """Rule 23: only a CSA pupil with unauthorised absence reaches a legal decision."""
        decisions = review("breached", f"{OFFER}:review", absences=absences, **pupil)
        assert closed(decisions) == [Stage.PARENTING_CONTRACT]
        assert of_type(decisions, RequestDecision) == []

    def test_no_second_decision_while_another_legal_decision_waits(self) -> None:
        """Rule 19: while a legal decision waits for a person nothing asks for another."""
        waiting = DecisionState(
            Stage.PENALTY_NOTICE, "X:pn", "requested", D("2025-10-10"), None, {}
        )
        case = make_case(CONTRACT, decisions=[waiting])
        decisions = review("breached", f"{OFFER}:review", case=case)
        assert of_type(decisions, RequestDecision) == []


class TestOutcomeCatalogue:
    def test_every_follow_up_is_for_an_outcome_the_task_accepts(self) -> None:
        """The follow-up table names only outcomes a caseworker can record for that kind."""
        for kind, result in FOLLOW_UPS:
            assert result in OUTCOMES[kind], (kind, result)

    @pytest.mark.parametrize(
        ("kind", "result"),
        [
            (TaskKind.CALL_PARENT, "reason_given"),
            (TaskKind.ATTENDANCE_MEETING, "plan_agreed"),
            (TaskKind.TAF_MEETING, "held"),
        ],
    )
    def test_nothing_follows_when_outcome_has_no_follow_up(
        self, kind: TaskKind, result: str
    ) -> None:
        """Outcomes without a follow-up are recorded and change nothing else."""
        assert outcome(kind, result) == []
