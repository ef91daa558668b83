"""Withdrawing a penalty notice: its grounds, any refund, a letter, and proceedings barred.

DOMAIN rule 24 and Part 2 §8.5. The LA withdraws a notice that ought not to have been issued,
should not have been issued to that parent, or contains a material error, and must withdraw an
unpaid notice it decides not to prosecute (reg 9). Anything paid is refunded, the recipient is
told in writing, no proceedings may follow for the same offence, and a withdrawn notice no
longer counts towards the 3-year limit (casework.core.legal.penalties.counted_notices).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import Proposal
from casework.core.ladder.recipients import base_context, long_date
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.penalties import WITHDRAWAL_WORDING, WithdrawalGround, format_pence
from casework.core.lifecycle import NoticeStatus
from casework.core.permissions import Action
from casework.core.policy import Policy, load_policy
from casework.db.session import unit_of_work
from casework.db.tables import Decision, PenaltyNotice, Task
from casework.service.authority import check_actor
from casework.service.errors import Conflict, InvalidRequest, NotFound
from casework.service.legal.context import letter_to, load_view, notice_reference
from casework.service.legal.notices import notice_audit
from casework.service.legal.payments import (
    close_payment_task,
    close_stage_if_settled,
    notice_target,
)
from casework.service.locking import move_notice, notice_taken
from casework.service.proposals import Target, apply_proposals, write_audit

WITHDRAWN_TEMPLATE = "legal/notice_withdrawn"


def _withdrawal_context(
    view: PupilView, notice: PenaltyNotice, ground: WithdrawalGround, policy: Policy
) -> dict[str, str]:
    refund = notice.refunded_pence
    return {
        **base_context(view, Stage.PENALTY_NOTICE),
        "notice_reference": notice_reference(notice.id or 0),
        "issue_date_long": long_date(notice.issued_date),
        "withdrawal_ground_text": WITHDRAWAL_WORDING[ground],
        "refund_text": (
            f"We will refund the {format_pence(refund)} you paid."
            if refund
            else "Nothing was paid on this notice, so there is nothing to refund."
        ),
        "la_name": policy.la.name,
        "la_address": policy.legal.la_address,
    }


def _claim(db: Session, notice: PenaltyNotice, decision: Decision) -> None:
    """Lock the notice's payment task, then the notice: the order a payment takes them in, so a
    withdrawal and a payment at the same moment queue up instead of deadlocking."""
    db.exec(
        select(Task)
        .where(Task.key == f"{decision.key}:payment:{notice.contact_id}")
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    db.refresh(notice, with_for_update=True)


def _mark_withdrawn(
    db: Session, notice: PenaltyNotice, ground: WithdrawalGround, on: date, urn: str
) -> None:
    ref = notice_reference(notice.id or 0)
    if notice.status == NoticeStatus.WITHDRAWN.value:
        raise Conflict(notice_taken(db, notice, ref, urn))
    if notice.prosecuted:
        raise InvalidRequest(f"prosecution was approved on penalty notice {ref}")
    paid = notice.status == NoticeStatus.PAID.value
    move_notice(db, notice, NoticeStatus.WITHDRAWN.value, ref, urn)
    notice.refunded_pence = notice.paid_amount_pence if paid else None
    notice.withdrawn_date, notice.withdrawal_grounds = on, ground.value


def _letter(
    decision: Decision,
    notice: PenaltyNotice,
    ground: WithdrawalGround,
    view: PupilView,
    policy: Policy,
) -> list[Proposal]:
    """DOMAIN §8.5: the recipient is told in writing."""
    contact = next((c for c in view.pupil.contacts if c.contact_id == notice.contact_id), None)
    if contact is None or not contact.address:
        return []
    key = f"{decision.key}:withdrawn:{contact.contact_id}"
    context = _withdrawal_context(view, notice, ground, policy)
    return [letter_to(contact, key, WITHDRAWN_TEMPLATE, Stage.PENALTY_NOTICE, context)]


def withdraw_in_session(
    db: Session,
    notice: PenaltyNotice,
    ground: WithdrawalGround,
    reason: str,
    view: PupilView,
    target: Target,
    policy: Policy,
    now: datetime,
) -> list[AuditDraft]:
    """Withdraw one notice: grounds, refund, letter to the recipient, proceedings barred."""
    decision, _ = notice_target(db, notice, target.actor, target.school_date)
    _claim(db, notice, decision)
    _mark_withdrawn(db, notice, ground, target.school_date, decision.urn)
    drafts = [
        notice_audit(
            AuditKind.NOTICE_WITHDRAWN,
            target,
            notice,
            grounds=ground.value,
            reason=reason,
            withdrawn_date=target.school_date.isoformat(),
            refunded_pence=notice.refunded_pence or 0,
            proceedings_barred=True,
        )
    ]
    drafts += close_payment_task(db, decision, notice, "notice_withdrawn", target, now)
    drafts += apply_proposals(db, target, _letter(decision, notice, ground, view, policy), now)
    return drafts + close_stage_if_settled(db, decision, target, now)


def withdraw_notice(
    engine: Engine,
    notice_id: int,
    *,
    grounds: str,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    policy: Policy | None = None,
) -> None:
    """Withdraw a penalty notice on one of the statutory grounds (DOMAIN Part 2 §8.5)."""
    try:
        ground = WithdrawalGround(grounds)
    except ValueError:
        names = ", ".join(g.value for g in WithdrawalGround)
        raise InvalidRequest(f"unknown grounds {grounds!r}: use one of {names}") from None
    if not reason.strip():
        raise InvalidRequest("give the reason for the withdrawal; it is kept in the record")
    policy = policy or load_policy()
    with unit_of_work(engine) as db:
        notice = db.get(PenaltyNotice, notice_id)  # locked in withdraw_in_session
        if notice is None:
            raise NotFound(f"no penalty notice {notice_id}")
        decision, target = notice_target(db, notice, actor, on)
        check_actor(db, actor, decision.urn, Action.RECORD_WITHDRAWAL, policy)
        view = load_view(db, decision.urn, decision.upn, on)
        drafts = withdraw_in_session(db, notice, ground, reason.strip(), view, target, policy, now)
        write_audit(db, drafts, now)
