"""The payment reminder: a parent whose penalty notice is still unpaid as its last payment day
nears is reminded once, in their own channel and language.

A local choice (policy `[legal] payment_reminder_days_before`, default 7): the deadlines run
sends `notice_payment/reminder` to the recipient of each issued notice whose last payment day is
that many days away or fewer. The message is keyed per notice, so it is sent once however many
runs see it; a paid, withdrawn or expired notice is never reminded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft
from casework.core.ladder.proposals import Channel, QueueMessage
from casework.core.ladder.recipients import base_context, contact_channel, long_date
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.penalties import format_pence
from casework.core.lifecycle import NoticeStatus
from casework.core.policy import Policy
from casework.db.tables import Decision, PenaltyNotice
from casework.service.errors import NotFound
from casework.service.legal.context import load_view, notice_reference
from casework.service.proposals import SYSTEM, Target, apply_proposals

REMINDER_TEMPLATE = "notice_payment/reminder"
_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.LETTER})


def reminder_key(decision: Decision, notice: PenaltyNotice) -> str:
    return f"{decision.key}:reminder:{notice.contact_id}"


def reminder(view: PupilView, decision: Decision, notice: PenaltyNotice) -> QueueMessage | None:
    """The reminder to the notice's recipient, or None when we cannot reach them."""
    contact = next((c for c in view.pupil.contacts if c.contact_id == notice.contact_id), None)
    to = contact_channel(contact, _CHANNELS) if contact is not None else None
    if contact is None or to is None:
        return None
    context = {
        **base_context(view, Stage.PENALTY_NOTICE),
        "recipient_name": contact.name,
        "recipient_address": contact.address,
        "notice_reference": notice_reference(notice.id or 0),
        "amount": format_pence(notice.amount_pence),
        "pay_by_date_long": long_date(notice.pay_by_date),
    }
    return QueueMessage(
        reminder_key(decision, notice), to, REMINDER_TEMPLATE, Stage.PENALTY_NOTICE, context
    )


def remind_unpaid_notices(db: Session, on: date, policy: Policy, now: datetime) -> list[AuditDraft]:
    """A deadlines step: remind each parent whose notice is unpaid as its last day nears."""
    horizon = on + timedelta(days=policy.legal.payment_reminder_days_before)
    due = db.exec(
        select(PenaltyNotice)
        .where(
            PenaltyNotice.status == NoticeStatus.ISSUED.value,
            PenaltyNotice.pay_by_date >= on,
            PenaltyNotice.pay_by_date <= horizon,
            PenaltyNotice.receipt_date <= on,
        )
        .order_by(col(PenaltyNotice.id))
    ).all()
    drafts: list[AuditDraft] = []
    for notice in due:
        decision = db.get(Decision, notice.decision_id)
        if decision is None:
            continue
        try:
            view = load_view(db, decision.urn, decision.upn, on)
        except NotFound:
            continue  # the pupil has left the school's roll: the LA writes by hand
        message = reminder(view, decision, notice)
        if message is not None and not view.case.has(message.key):
            target = Target(decision.urn, on, decision.upn, decision.case_id, actor=SYSTEM)
            drafts += apply_proposals(db, target, [message], now)
    return drafts
