"""Statutory guards applied after the rules: no legal step without a person, PR only,
professionals told of every unexplained absence and escalation, severe absence first, and no
action proposed twice (DESIGN.md "Guards"; DOMAIN.md rules 9, 16, 19)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casework.core.ladder.engine import decide
from casework.core.ladder.guards import apply_guards
from casework.core.ladder.persistent_absence import SEVERE_PRIORITY
from casework.core.ladder.proposals import (
    Channel,
    ContactRef,
    EnterStage,
    OpenTask,
    OwnerRole,
    Proposal,
    QueueMessage,
    RecipientRole,
    RequestDecision,
    TaskKind,
)
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from tests.ladder_factories import (
    DEFAULT_POLICY,
    UPN,
    case_after,
    entered,
    identity,
    make_contact,
    make_policy,
    make_register,
    make_view,
    messages,
    of_type,
)

D = date.fromisoformat
SOCIAL_WORKER = "sw@childrens.example.org"
YOT_WORKER = "yot@youthjustice.example.org"


def parent_message(contact_id: str) -> QueueMessage:
    to = ContactRef(RecipientRole.PARENT, Channel.SMS, "+447911226009", contact_id)
    return QueueMessage(f"k:msg:{contact_id}", to, "attendance_concern/parent")


def professional_roles(decisions: list[Proposal]) -> list[tuple[str, str]]:
    return [
        (m.to.role.value, m.to.address)
        for m in messages(decisions)
        if m.to.role is not RecipientRole.PARENT
    ]


class TestLegalStepsNeedAPerson:
    @pytest.mark.parametrize("stage", sorted(LEGAL_STAGES))
    def test_entering_a_legal_stage_is_dropped_when_a_rule_proposes_it(self, stage: Stage) -> None:
        """A sweep never takes a legal step; only a request for a person's decision survives."""
        view = make_view("Mon /", "Mon 2025-09-15 AM")
        proposed: list[Proposal] = [
            EnterStage(stage, f"{UPN}:{stage}:2025-09-15", reason="threshold met"),
            RequestDecision(stage, f"{UPN}:{stage}:decision:2025-09-15", reason="threshold met"),
        ]
        kept = apply_guards(view, DEFAULT_POLICY, proposed)
        assert [type(d).__name__ for d in kept] == ["RequestDecision"]

    def test_threshold_opens_a_decision_and_no_legal_stage_when_ten_sessions_are_unauthorised(
        self,
    ) -> None:
        """Ten G sessions in ten school weeks produce a decision request, never a notice."""
        register = make_register(
            "2025-09-03",
            "2025-09-26",
            overrides=("2025-09-22 G, 2025-09-23 G, 2025-09-24 G, 2025-09-25 G, 2025-09-26 G"),
        )
        decisions = decide(make_view(register, "2025-09-26 PM"), DEFAULT_POLICY)
        assert [d.stage for d in of_type(decisions, RequestDecision)] == [Stage.PENALTY_NOTICE]
        assert not set(entered(decisions)) & LEGAL_STAGES


class TestParentalResponsibility:
    def test_message_to_a_contact_without_pr_is_dropped_when_a_rule_proposes_it(self) -> None:
        """Only contacts with parental responsibility are messaged, whatever a rule proposes."""
        contacts = (make_contact("mum"), make_contact("gran", parental_responsibility=False))
        view = make_view("Mon /", "Mon 2025-09-15 AM", contacts=contacts)
        proposed: list[Proposal] = [parent_message("mum"), parent_message("gran")]
        kept = apply_guards(view, DEFAULT_POLICY, proposed)
        assert [m.to.contact_id for m in messages(kept)] == ["mum"]

    def test_message_to_an_unknown_contact_is_dropped(self) -> None:
        """A parent message must name one of the pupil's contacts with PR."""
        view = make_view("Mon /", "Mon 2025-09-15 AM")
        assert apply_guards(view, DEFAULT_POLICY, [parent_message("stranger")]) == []


class TestProfessionalsAreTold:
    @pytest.mark.parametrize(
        ("flags", "expected"),
        [
            ({"social_worker_email": SOCIAL_WORKER}, [("social_worker", SOCIAL_WORKER)]),
            ({"yot_worker_email": YOT_WORKER}, [("yot_worker", YOT_WORKER)]),
            ({"looked_after": True}, [("virtual_school", "virtual.school@la.example.org")]),
            ({}, []),
        ],
    )
    def test_unexplained_absence_is_emailed_when_pupil_has_a_professional(
        self, flags: dict[str, Any], expected: list[tuple[str, str]]
    ) -> None:
        """Rule 9: a social worker or YOT worker hears of every unexplained absence; for a
        looked-after pupil the Virtual School does too (address from the policy)."""
        view = make_view("Tue /, Wed N", "Wed 2025-09-17 AM", **flags)
        decisions = decide(view, DEFAULT_POLICY)
        # the absence itself and the first-day call it opens
        assert professional_roles(decisions) == expected * 2
        assert all(
            m.to.channel is Channel.EMAIL
            for m in messages(decisions)
            if m.to.role is not RecipientRole.PARENT
        )

    def test_every_escalation_is_emailed_when_pupil_has_all_three(self) -> None:
        """Each stage entered and each decision requested goes to every professional."""
        view = make_view(
            "Mon /",
            "Mon 2025-09-15 AM",
            social_worker_email=SOCIAL_WORKER,
            yot_worker_email=YOT_WORKER,
            looked_after=True,
        )
        proposed: list[Proposal] = [
            EnterStage(Stage.ATTENDANCE_PLAN, f"{UPN}:attendance_plan:2025-09-15", "pa"),
            RequestDecision(Stage.NOTICE_TO_IMPROVE, f"{UPN}:nti:2025-09-15", "threshold"),
            OpenTask(TaskKind.PLAN_REVIEW, "t", D("2025-09-15"), OwnerRole.ATTENDANCE_OFFICER),
        ]
        kept = apply_guards(view, DEFAULT_POLICY, proposed)
        told = [(m.key, m.template) for m in messages(kept)]
        assert told == [
            (f"{UPN}:attendance_plan:2025-09-15:social_worker", "professional/social_worker"),
            (f"{UPN}:attendance_plan:2025-09-15:yot_worker", "professional/yot_worker"),
            (f"{UPN}:attendance_plan:2025-09-15:virtual_school", "professional/virtual_school"),
            (f"{UPN}:nti:2025-09-15:social_worker", "professional/social_worker"),
            (f"{UPN}:nti:2025-09-15:yot_worker", "professional/yot_worker"),
            (f"{UPN}:nti:2025-09-15:virtual_school", "professional/virtual_school"),
        ]

    def test_virtual_school_address_comes_from_the_policy(self) -> None:
        """The LA's own addresses live in the policy file."""
        policy = make_policy(la={"virtual_school_email": "vs@county.example.org"})
        view = make_view("Mon N", "Mon 2025-09-15 AM", looked_after=True)
        assert ("virtual_school", "vs@county.example.org") in professional_roles(
            decide(view, policy)
        )

    def test_unexplained_absence_told_once_a_day_when_both_sessions_are_swept(self) -> None:
        """Emit only on change: the PM sweep does not repeat the morning's email."""
        am = make_view("Mon AM N", "Mon 2025-09-15 AM", social_worker_email=SOCIAL_WORKER)
        morning = decide(am, DEFAULT_POLICY)
        case = case_after(am.case, morning, D("2025-09-15"))
        pm = make_view("Mon N", "Mon 2025-09-15 PM", social_worker_email=SOCIAL_WORKER, case=case)
        assert decide(pm, DEFAULT_POLICY) == []

    def test_nobody_is_told_when_a_dropped_legal_stage_was_proposed(self) -> None:
        """Professionals hear of what really happens, not of steps the guards refused."""
        view = make_view("Mon /", "Mon 2025-09-15 AM", social_worker_email=SOCIAL_WORKER)
        proposed: list[Proposal] = [EnterStage(Stage.PROSECUTION, f"{UPN}:prosecution", "x")]
        assert apply_guards(view, DEFAULT_POLICY, proposed) == []


class TestSevereAbsenceFirst:
    def test_every_task_is_top_priority_when_absence_is_severe(self) -> None:
        """Rule 16: a severely absent pupil's tasks are first in every queue."""
        register = make_register(
            "2025-09-15",
            "2025-09-26",
            overrides=(
                "2025-09-15 I, 2025-09-16 I, 2025-09-17 I, 2025-09-18 I, 2025-09-19 I, "
                "2025-09-22 I, 2025-09-23 I, 2025-09-24 I, 2025-09-25 I, 2025-09-26 AM N"
            ),
        )
        decisions = decide(make_view(register, "2025-09-26 PM"), DEFAULT_POLICY)
        tasks = of_type(decisions, OpenTask)
        assert {t.kind for t in tasks} >= {
            TaskKind.SEVERE_ABSENCE_MEETING,
            TaskKind.ATTENDANCE_MEETING,
        }
        assert {t.priority for t in tasks} == {SEVERE_PRIORITY}

    def test_task_priority_unchanged_when_absence_is_not_severe(self) -> None:
        """Below the severe line a proposed task keeps its own priority."""
        view = make_view("Mon N", "Mon 2025-09-15 AM")
        task = OpenTask(TaskKind.CALL_PARENT, "t", D("2025-09-15"), OwnerRole.ATTENDANCE_OFFICER)
        assert apply_guards(view, DEFAULT_POLICY, [task]) == [task]


class TestNothingTwice:
    def test_one_stage_entry_when_two_rules_propose_the_same_key(self) -> None:
        """Two LA returns on one sweep (persistent absence and ten days unauthorised) open the
        la_referral stage once, and professionals hear of it once."""
        register = make_register("2025-09-03", "2025-09-16", "G")
        view = make_view(register, "2025-09-16 PM", social_worker_email=SOCIAL_WORKER)
        decisions = decide(view, DEFAULT_POLICY)
        keys = [identity(d) for d in decisions]
        assert entered(decisions).count(Stage.LA_REFERRAL) == 1
        assert len(keys) == len(set(keys))
