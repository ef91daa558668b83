"""What a caseworker's recorded outcome sets going: the outcome side of the ladder (pure).

Child not seen -> safeguarding review the same day (rule 8); consent given -> the form (rule 14);
needs identified -> Team Around the Family (rule 15); contract signed -> reviews, a breach -> the
next legal decision (rule 18, casework.core.ladder.contract); support not engaged with -> an
attendance contract is offered (rule 18).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from casework.core.ladder.contract import (
    contract_breached,
    contract_ended,
    first_review,
    next_review,
)
from casework.core.ladder.deletion import deletion_request
from casework.core.ladder.proposals import CloseStage, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.ladder.support import enter_team_around_family, offer_contract
from casework.core.ladder.view import PupilView
from casework.core.legal.court import COURT_OUTCOMES
from casework.core.legal.eso import ESO_OUTCOMES
from casework.core.policy import Policy

OUTCOMES: Mapping[str, tuple[str, ...]] = {
    TaskKind.CALL_PARENT: ("reason_given", "no_reason_given", "no_answer"),
    TaskKind.HOME_VISIT: ("child_seen", "child_not_seen"),
    TaskKind.SAFEGUARDING_REVIEW: ("referred_to_social_care", "no_further_action"),
    TaskKind.ATTENDANCE_CONVERSATION: ("held", "not_attended"),
    TaskKind.ATTENDANCE_MEETING: ("plan_agreed", "not_attended"),
    TaskKind.PLAN_REVIEW: ("improving", "not_improving"),
    TaskKind.CONSENT_REQUEST: ("consent_given", "consent_declined", "consent_withdrawn"),
    TaskKind.SNF_COMPLETE: ("needs_identified", "no_needs_identified", "consent_withdrawn"),
    TaskKind.TAF_MEETING: ("held", "not_attended"),
    TaskKind.TAF_REVIEW: ("continue", "close"),
    TaskKind.SEVERE_ABSENCE_MEETING: ("plan_agreed", "not_attended"),
    TaskKind.LATENESS_MEETING: ("held", "not_attended"),
    TaskKind.CONTRACT_OFFER: ("signed", "declined"),
    TaskKind.CONTRACT_REVIEW: ("kept", "ended", "breached"),
    TaskKind.NOTICE_PAYMENT: ("paid",),
    TaskKind.CME_ENQUIRY: ("located", "not_located", "sick_or_unavoidable"),
    TaskKind.REGISTER_INCOMPLETE: ("resolved",),
    TaskKind.LETTER_TO_POST: ("posted",),
    TaskKind.FAMILY_UNREACHABLE: ("reached", "not_reached"),
    TaskKind.INTERVIEW_UNDER_CAUTION: ("attended", "declined", "no_response"),  # rule 36
    TaskKind.LAY_INFORMATION: ("laid",),  # rule 37
    TaskKind.COURT_OUTCOME: COURT_OUTCOMES,
    TaskKind.PARENTING_ORDER_REVIEW: ("reviewed",),
    TaskKind.ESO_HEARING: ESO_OUTCOMES,  # rule 38
    TaskKind.ESO_REVIEW: ("reviewed",),
    TaskKind.FIX_CONTACT: ("address_corrected", "no_other_address"),
    TaskKind.TIMETABLE_REVIEW: ("continue", "full_time", "alternative_provision"),
    TaskKind.TIMETABLE_ESCALATION: ("full_time", "alternative_provision"),
}

FollowUp = Callable[[PupilView, Policy, str], list[Proposal]]


def _safeguarding(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    return [
        OpenTask(
            TaskKind.SAFEGUARDING_REVIEW,
            f"{task_key}:safeguarding",
            view.on.school_date,
            OwnerRole.DSL,
            Stage.HOME_VISIT,
            context={"reason": "child not seen at home visit"},
        )
    ]


def _form(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    due = view.calendar.add_school_days(
        view.on.school_date, policy.support.snf_complete_due_school_days
    )
    return [
        OpenTask(
            TaskKind.SNF_COMPLETE,
            f"{task_key}:form",
            due,
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.STRENGTHS_AND_NEEDS,
        )
    ]


def _close(stage: Stage, reason: str) -> FollowUp:
    def close(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
        entry = view.case.open_stage(stage)
        return [CloseStage(stage, entry.key, reason)] if entry else []

    return close


def _taf(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    closing = _close(Stage.STRENGTHS_AND_NEEDS, "form completed: needs identified")
    return closing(view, policy, task_key) + enter_team_around_family(
        view, policy, "Strengths and Needs form identified needs"
    )


def _not_engaged(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    return offer_contract(view, policy, "support not engaged with")


def _not_improving(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    return offer_contract(view, policy, "persistent absence not improving at review")


FOLLOW_UPS: Mapping[tuple[str, str], FollowUp] = {
    (TaskKind.HOME_VISIT, "child_not_seen"): _safeguarding,
    (TaskKind.CONSENT_REQUEST, "consent_given"): _form,
    (TaskKind.CONSENT_REQUEST, "consent_declined"): _close(
        Stage.STRENGTHS_AND_NEEDS, "consent declined"
    ),
    (TaskKind.CONSENT_REQUEST, "consent_withdrawn"): _close(
        Stage.STRENGTHS_AND_NEEDS, "consent withdrawn"
    ),
    (TaskKind.SNF_COMPLETE, "consent_withdrawn"): _close(
        Stage.STRENGTHS_AND_NEEDS, "consent withdrawn"
    ),
    (TaskKind.SNF_COMPLETE, "needs_identified"): _taf,
    (TaskKind.SNF_COMPLETE, "no_needs_identified"): _close(
        Stage.STRENGTHS_AND_NEEDS, "form completed: no needs identified"
    ),
    (TaskKind.TAF_REVIEW, "close"): _close(Stage.TEAM_AROUND_FAMILY, "closed at review"),
    (TaskKind.CONTRACT_OFFER, "signed"): first_review,
    (TaskKind.CONTRACT_REVIEW, "kept"): next_review,
    (TaskKind.CONTRACT_REVIEW, "ended"): contract_ended,
    (TaskKind.CONTRACT_REVIEW, "breached"): contract_breached,  # opens the next legal decision
    (TaskKind.CONTRACT_OFFER, "declined"): _close(
        Stage.PARENTING_CONTRACT, "attendance contract declined (recorded as evidence)"
    ),
    (TaskKind.ATTENDANCE_MEETING, "not_attended"): _not_engaged,
    (TaskKind.SEVERE_ABSENCE_MEETING, "not_attended"): _not_engaged,
    (TaskKind.PLAN_REVIEW, "not_improving"): _not_improving,
    (TaskKind.CME_ENQUIRY, "not_located"): deletion_request,  # rule 34: a person decides
}


def follow_up(
    view: PupilView, policy: Policy, kind: str, outcome: str, task_key: str
) -> list[Proposal]:
    """The proposals that completing a task of `kind` with `outcome` sets going."""
    step = FOLLOW_UPS.get((kind, outcome))
    return step(view, policy, task_key) if step else []
