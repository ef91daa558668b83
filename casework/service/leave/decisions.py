"""The headteacher's decision on leave of absence (DOMAIN rule 32, Part 2 §6).

Leave is not a legal step: no rule-27 factors are asked for, but the decision is a person's,
with a reason, recorded with its audit entry. Granted only in exceptional circumstances and
never retrospectively: an application recorded on or after its first day, or decided after
the leave began, can only be declined. Granted -> the days are expected as `C` (the ladder reads
the decision). Declined -> a letter to each parent with parental responsibility, in their
language: leave taken anyway will be unauthorised (`G`) and a penalty notice may follow without
a notice to improve first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import Channel, ContactRef, QueueMessage, RecipientRole
from casework.core.ladder.recipients import base_context, long_date, parents_with_pr
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import ContactFacts, PupilView
from casework.core.legal.penalties import format_pence
from casework.core.lifecycle import DECISION_MOVES, DecisionStatus, IllegalTransition, check_move
from casework.core.permissions import Role
from casework.core.policy import Policy
from casework.db.session import unit_of_work
from casework.db.tables import Decision, LeaveApplication, User
from casework.service.errors import InvalidRequest, NotAllowed, NotFound
from casework.service.leave.applications import application_of
from casework.service.legal.context import CLI_ACTOR, load_view
from casework.service.proposals import Target, apply_proposals, write_audit

REFUSAL_TEMPLATE = "leave_of_absence/refusal"
GRANTED, DECLINED = "granted", "declined"


@dataclass(frozen=True)
class LeaveOutcome:
    decision_id: int
    approved: bool
    letters: int  # refusal letters and emails queued


# Not legal steps: the school's headteacher decides these, with a reason and no rule-27 factors.
HEADTEACHER_DECISIONS = frozenset({Stage.LEAVE_OF_ABSENCE.value, Stage.DELETION_GROUND_I.value})


def is_leave_decision(decision: Decision) -> bool:
    return decision.stage == Stage.LEAVE_OF_ABSENCE.value


def is_headteacher_decision(decision: Decision) -> bool:
    return decision.stage in HEADTEACHER_DECISIONS


def check_headteacher(db: Session, actor: str, urn: str) -> None:
    """Leave is the headteacher's decision for their own school (the person at the server may)."""
    if actor == CLI_ACTOR:
        return
    user = db.exec(select(User).where(User.email == actor.strip().lower())).first()
    if user is None or not user.active:
        raise NotAllowed(f"no active user {actor}")
    if user.role != Role.HEADTEACHER.value or user.urn != urn:
        raise NotAllowed(f"{actor} ({user.role}) may not decide leave: the headteacher does")


def _check_grant(application: LeaveApplication, on: date) -> None:
    if not application.in_advance:
        raise InvalidRequest(
            f"this application was recorded on {application.recorded_date}, on or after the "
            f"leave's first day ({application.start_date}): leave is never granted "
            "retrospectively, so it can only be declined"
        )
    if on > application.start_date:
        raise InvalidRequest(
            f"the leave began on {application.start_date}: it can no longer be granted "
            "(never retrospectively), only declined"
        )


def _policy_words(policy: Policy) -> dict[str, str]:
    """What the refusal tells a family about the law's numbers, from the LA's policy."""
    legal = policy.legal
    return {
        "threshold_sessions": str(legal.threshold_sessions),
        "threshold_weeks": str(legal.threshold_school_weeks),
        "amount": format_pence(legal.first_notice_pence),
        "reduced_amount": format_pence(legal.first_notice_reduced_pence),
        "reduced_within_days": str(legal.reduced_within_days),
        "return_days": str(policy.leave.leave_return_school_days),
    }


def _refusal(
    view: PupilView,
    contact: ContactFacts,
    application: LeaveApplication,
    key: str,
    policy: Policy,
) -> QueueMessage | None:
    """The refusal to one parent: posted if we hold an address, else by email."""
    if contact.address:
        channel, address = Channel.LETTER, contact.address
    elif contact.email:
        channel, address = Channel.EMAIL, contact.email
    else:
        return None
    to = ContactRef(
        RecipientRole.PARENT,
        channel,
        address,
        contact.contact_id,
        contact.name,
        contact.language or "en",
    )
    days = len(view.calendar.school_days(application.start_date, application.end_date))
    context = {
        **base_context(view, Stage.LEAVE_OF_ABSENCE),
        "recipient_name": contact.name,
        "recipient_address": contact.address,
        "leave_from": application.start_date.isoformat(),
        "leave_to": application.end_date.isoformat(),
        "leave_from_long": long_date(application.start_date),
        "leave_to_long": long_date(application.end_date),
        "school_days": str(days),
        "sessions": str(2 * days),
        "applied_on_long": long_date(application.recorded_date),
        **_policy_words(policy),
    }
    return QueueMessage(
        f"{key}:refusal:{contact.contact_id}", to, REFUSAL_TEMPLATE, Stage.LEAVE_OF_ABSENCE, context
    )


def record_decision(
    decision: Decision, approve: bool, reason: str, actor: str, target: Target, now: datetime
) -> AuditDraft:
    status = DecisionStatus.APPROVED if approve else DecisionStatus.DECLINED
    try:
        check_move(DECISION_MOVES, DecisionStatus(decision.status), status)
    except IllegalTransition as exc:
        raise InvalidRequest(f"decision {decision.id} is already {decision.status}") from exc
    decision.status, decision.reason = status.value, reason
    decision.decided_by, decision.decided_at, decision.decided_date = actor, now, target.school_date
    return AuditDraft(
        kind=AuditKind.DECISION_APPROVED if approve else AuditKind.DECISION_DECLINED,
        actor=actor,
        school_date=target.school_date,
        urn=target.urn,
        upn=target.upn,
        case_id=target.case_id,
        stage=decision.stage,
        detail={
            "decision_id": decision.id,
            "reason": reason,
            "key": decision.key,
            **{k: v for k, v in decision.context.items() if k in ("leave_from", "leave_to")},
        },
    )


def decide_leave(
    engine: Engine,
    decision_id: int,
    *,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    policy: Policy,
) -> LeaveOutcome:
    """Grant or refuse leave, with the reason; a refusal writes to each parent."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("give the reason for the decision; it is kept in the record")
    with unit_of_work(engine) as db:
        decision = db.get(Decision, decision_id)
        if decision is None or not is_leave_decision(decision):
            raise NotFound(f"no leave decision {decision_id}")
        check_headteacher(db, actor, decision.urn)
        application = application_of(db, decision_id)
        if approve:
            _check_grant(application, on)
        target = Target(decision.urn, on, decision.upn, decision.case_id, actor=actor)
        drafts = [record_decision(decision, approve, reason, actor, target, now)]
        application.status = GRANTED if approve else DECLINED
        letters: list[QueueMessage] = []
        if not approve:
            view = load_view(db, decision.urn, decision.upn, on)
            found = (
                _refusal(view, c, application, decision.key, policy) for c in parents_with_pr(view)
            )
            letters = [m for m in found if m is not None]
            drafts += apply_proposals(db, target, letters, now)
        write_audit(db, drafts, now)
    return LeaveOutcome(decision_id, approve, len(letters))
