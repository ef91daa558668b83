"""A penalty notice after issue: payment at the rate due that day, and expiry when unpaid.

DOMAIN rules 24–25 and Part 2 §8.5–8.7. Completing a `notice_payment` task with outcome `paid`
records the payment at the rate due on the day paid (reduced within 21 days of receipt, full
within 28) and closes the notice, so it can never reach prosecution; an amount written in the
task's note (e.g. "£80") must match what was due. Its `notice.paid` entry carries `amount_pence`
= the amount paid, with `notice_amount_pence`, `rate`, `payment_day` and `paid_date`. The
deadlines run finds notices still unpaid when their payment period has ended: `notice.expired`,
and a decision that must end in a prosecution or a withdrawal (each parent invited to an
interview under caution). The payment task stays open, so a payment made within the period but
recorded after expiry re-opens the notice as paid and closes that decision (rule 25)
(casework.service.legal.withdrawal). `record_payment` is listed in casework/service/tasks/hooks.py;
casework.service.tasks.deadlines calls `expire_unpaid_notices`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from itertools import groupby

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import CloseStage, Proposal
from casework.core.ladder.stages import Stage
from casework.core.legal.eso import eso_request
from casework.core.legal.penalties import NoticeTerms, format_pence, payment_due
from casework.core.lifecycle import (
    DECISION_MOVES,
    OPEN_TASK_STATUSES,
    DecisionStatus,
    NoticeStatus,
    TaskStatus,
    check_move,
)
from casework.core.policy import Policy
from casework.db.session import unit_of_work
from casework.db.tables import Decision, PenaltyNotice, Task
from casework.service.errors import Conflict, InvalidRequest, NotFound
from casework.service.legal.context import load_view, notice_reference, prosecution_request
from casework.service.legal.interviews import invitations
from casework.service.legal.notices import notice_audit, notices_of
from casework.service.locking import claim, compare_and_set, move_notice, notice_taken
from casework.service.proposals import SYSTEM, Target, apply_proposals, write_audit
from casework.service.tasks.detail import task_detail

_MONEY = re.compile(r"£\s*(\d[\d,]*(?:\.\d{1,2})?)")


def terms_of(notice: PenaltyNotice) -> NoticeTerms:
    return NoticeTerms(
        notice.sequence,
        notice.amount_pence,
        notice.reduced_amount_pence,
        notice.issued_date,
        notice.receipt_date,
        notice.reduced_pay_by_date,
        notice.pay_by_date,
    )


def stated_pence(note: str) -> int | None:
    """An amount written in a note ("paid £80 by card"), in pence; None if there is none."""
    found = _MONEY.search(note or "")
    if found is None:
        return None
    return round(float(found.group(1).replace(",", "")) * 100)


def notice_target(
    db: Session, notice: PenaltyNotice, actor: str, on: date
) -> tuple[Decision, Target]:
    decision = db.get(Decision, notice.decision_id)
    if decision is None:
        raise NotFound(f"no decision {notice.decision_id} for notice {notice.id}")
    return decision, Target(decision.urn, on, notice.upn, decision.case_id, actor=actor)


def close_payment_task(
    db: Session,
    decision: Decision,
    notice: PenaltyNotice,
    outcome: str,
    target: Target,
    now: datetime,
) -> list[AuditDraft]:
    task = db.exec(
        select(Task).where(
            Task.key == f"{decision.key}:payment:{notice.contact_id}",
            col(Task.status).in_([s.value for s in OPEN_TASK_STATUSES]),
        )
    ).first()
    if task is None:
        return []
    task.status, task.outcome = TaskStatus.COMPLETED.value, outcome
    task.completed_at, task.completed_date = now, target.school_date
    return [
        AuditDraft(
            kind=AuditKind.TASK_COMPLETED,
            actor=target.actor,
            school_date=target.school_date,
            urn=task.urn,
            upn=task.upn,
            case_id=task.case_id,
            stage=task.stage,
            detail=task_detail(task, outcome=outcome),
        )
    ]


def close_stage_if_settled(
    db: Session, decision: Decision, target: Target, now: datetime
) -> list[AuditDraft]:
    """Every notice of the decision paid or withdrawn: the penalty-notice stage is over."""
    siblings = db.exec(select(PenaltyNotice).where(PenaltyNotice.decision_id == decision.id))
    settled = {NoticeStatus.PAID.value, NoticeStatus.WITHDRAWN.value}
    if not all(n.status in settled for n in siblings):
        return []
    close = CloseStage(
        Stage.PENALTY_NOTICE, f"{decision.key}:stage", "every penalty notice paid or withdrawn"
    )
    return apply_proposals(db, target, [close], now)


def close_settled_prosecution(
    db: Session, notice: PenaltyNotice, target: Target, now: datetime
) -> list[AuditDraft]:
    """Rule 25: a late-recorded payment closes the prosecution decision its expiry asked for,
    once no parent is left to prosecute under it."""
    drafts: list[AuditDraft] = []
    pending = db.exec(
        select(Decision).where(
            Decision.upn == notice.upn,
            Decision.stage == Stage.PROSECUTION.value,
            Decision.status == DecisionStatus.REQUESTED.value,
        )
    ).all()
    for decision in pending:
        ids = [int(i) for i in str(decision.context.get("notice_ids", "")).split(",") if i]
        if notice.id not in ids:
            continue
        still_expired = [n for n in notices_of(db, ids) if n.status == NoticeStatus.EXPIRED.value]
        if still_expired:
            continue
        check_move(DECISION_MOVES, DecisionStatus(decision.status), DecisionStatus.CLOSED)
        decision.status = DecisionStatus.CLOSED.value
        reason = f"{notice_reference(notice.id or 0)} was paid within its payment period"
        decision.reason, decision.decided_date = reason, target.school_date
        drafts.append(
            AuditDraft(
                kind=AuditKind.DECISION_CLOSED,
                actor=target.actor,
                school_date=target.school_date,
                urn=decision.urn,
                upn=decision.upn,
                case_id=decision.case_id,
                stage=decision.stage,
                detail={"decision_id": decision.id, "reason": reason, "key": decision.key},
            )
        )
    return drafts


def record_payment(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    """A `notice_payment` task completed (tasks/hooks.py): paid at the rate due on `on`, the day
    paid — which may be before the day it is recorded, even after the notice expired (rule 25)."""
    del policy  # the notice carries its own terms
    # Locked after the task (complete_task claimed it), the order a withdrawal takes them in.
    notice = claim(db, PenaltyNotice, int(task.context.get("notice_id", 0)))
    if notice is None:
        raise InvalidRequest(f"task {task.id} names no penalty notice")
    ref, was = notice_reference(notice.id or 0), NoticeStatus(notice.status)
    if was not in (NoticeStatus.ISSUED, NoticeStatus.EXPIRED):
        raise Conflict(f"{notice_taken(db, notice, ref, task.urn)}: no payment can be taken")
    try:
        payment = payment_due(terms_of(notice), on)
    except ValueError as exc:
        raise InvalidRequest(f"{ref}: {exc}") from exc
    if payment is None:
        raise InvalidRequest(f"the payment period of {ref} ended on {notice.pay_by_date}")
    stated = stated_pence(task.note)
    if stated is not None and stated != payment.amount_pence:
        raise InvalidRequest(
            f"{format_pence(stated)} recorded, but {format_pence(payment.amount_pence)} was due "
            f"on {on} (day {payment.day} after receipt, {payment.rate.value} rate)"
        )
    move_notice(db, notice, NoticeStatus.PAID.value, ref, task.urn)
    notice.paid_date = on
    notice.paid_amount_pence = payment.amount_pence
    decision, target = notice_target(db, notice, actor, on)
    drafts = [
        notice_audit(
            AuditKind.NOTICE_PAID,
            target,
            notice,
            amount_pence=payment.amount_pence,
            notice_amount_pence=notice.amount_pence,
            paid_date=on.isoformat(),
            rate=payment.rate.value,
            payment_day=payment.day,
            recorded_after_expiry=was is NoticeStatus.EXPIRED,
        )
    ]
    if was is NoticeStatus.EXPIRED:
        drafts += close_settled_prosecution(db, notice, target, now)
    return drafts + close_stage_if_settled(db, decision, target, now)


def _expire(
    db: Session,
    decision: Decision,
    notices: Sequence[PenaltyNotice],
    on: date,
    policy: Policy,
    now: datetime,
) -> list[AuditDraft]:
    target = Target(decision.urn, on, decision.upn, decision.case_id, actor=SYSTEM)
    # A payment recorded meanwhile wins: only notices still unpaid when written to expire.
    notices = [n for n in notices if compare_and_set(db, n, NoticeStatus.EXPIRED.value)]
    if not notices:
        return []
    drafts: list[AuditDraft] = []
    for notice in notices:
        # The payment task stays open (and falls overdue): a payment made in time but recorded
        # later is still taken on it (rule 25).
        drafts.append(
            notice_audit(AuditKind.NOTICE_EXPIRED, target, notice, expired_on=on.isoformat())
        )
    refs = ", ".join(notice_reference(n.id or 0) for n in notices)
    reason = (
        f"penalty notice(s) {refs} unpaid {policy.legal.pay_within_days} days after receipt: "
        "decide whether to prosecute for the s444 offence; declining withdraws the notice(s)"
    )
    request = prosecution_request(
        decision,
        f"{decision.upn}:prosecution:unpaid:{decision.id}",
        reason,
        kind="unpaid_notice",
        contact_ids=[n.contact_id for n in notices],
        notice_ids=[n.id or 0 for n in notices],
        policy=policy,
    )
    try:
        view = load_view(db, decision.urn, decision.upn, on)
    except NotFound:
        return drafts + apply_proposals(db, target, [request], now)  # left the roll: by hand
    contacts = [n.contact_id for n in notices]
    asked: list[Proposal] = [request, *invitations(view, policy, request, contacts)]
    eso = eso_request(view.pupil, on, request)  # rule 38: considered before prosecuting
    asked += [eso] if eso is not None else []
    return drafts + apply_proposals(db, target, asked, now)


def expire_unpaid_notices(db: Session, on: date, policy: Policy, now: datetime) -> list[AuditDraft]:
    """A deadlines step: notices unpaid after their payment period ask to prosecute or withdraw."""
    due = db.exec(
        select(PenaltyNotice)
        .where(PenaltyNotice.status == NoticeStatus.ISSUED.value, PenaltyNotice.pay_by_date < on)
        .order_by(col(PenaltyNotice.decision_id), col(PenaltyNotice.id))
    ).all()
    drafts: list[AuditDraft] = []
    for decision_id, group in groupby(due, key=lambda n: n.decision_id):
        decision = db.get(Decision, decision_id)
        if decision is not None:
            drafts += _expire(db, decision, list(group), on, policy, now)
    return drafts


def run_notice_deadlines(engine: Engine, on: date, *, policy: Policy, now: datetime) -> int:
    """The payment-window step on its own (the CLI's `notices deadlines`); entries written."""
    with unit_of_work(engine) as db:
        drafts = expire_unpaid_notices(db, on, policy, now)
        write_audit(db, drafts, now)
    return len(drafts)
