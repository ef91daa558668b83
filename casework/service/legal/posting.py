"""A penalty notice posted after the day it was issued: its receipt and payment periods move.

DOMAIN.md rule 22. A notice counts as posted on the day it is issued unless the school office
records a later posting date — the outcome `posted` of the notice letter's `letter_to_post` task,
with its `--on` date. Then the deemed receipt is counted from that day, and the reduced-rate and
last payment days, the payment task's due date and the expiry that follows all move with it, so
the parent is never given less time than the law allows. Listed in casework/service/tasks/hooks.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.legal.penalties import ServiceMethod, deemed_receipt, notice_terms
from casework.core.lifecycle import OPEN_TASK_STATUSES, NoticeStatus
from casework.core.policy import Policy
from casework.db.tables import Decision, Message, PenaltyNotice, Task
from casework.service.legal.context import load_view
from casework.service.legal.notices import NOTICE_TEMPLATE, notice_audit
from casework.service.legal.payments import notice_target
from casework.service.proposals import SYSTEM

_PREFIX = "PN-"


def _notice_of(db: Session, task: Task) -> PenaltyNotice | None:
    message = db.get(Message, int(task.context.get("message_id") or 0))
    if message is None or message.template != NOTICE_TEMPLATE:
        return None
    ref = str(message.context.get("notice_reference", ""))
    if not ref.startswith(_PREFIX):
        return None
    return db.get(PenaltyNotice, int(ref.removeprefix(_PREFIX)))


def _move_payment_task(db: Session, decision: Decision, notice: PenaltyNotice) -> None:
    payment = db.exec(
        select(Task).where(Task.key == f"{decision.key}:payment:{notice.contact_id}")
    ).first()
    if payment is not None and payment.status in {s.value for s in OPEN_TASK_STATUSES}:
        payment.due_date = notice.pay_by_date


def record_posting(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    """A `letter_to_post` task completed: a notice posted after its issue day moves its clocks."""
    del outcome, now  # `posted` is the only outcome; the entries take their time when written
    notice = _notice_of(db, task)
    if notice is None or on <= notice.issued_date or notice.status != NoticeStatus.ISSUED.value:
        return []
    decision, target = notice_target(db, notice, actor or SYSTEM, on)
    view = load_view(db, decision.urn, decision.upn, on)
    legal = policy.legal
    receipt = deemed_receipt(
        on, ServiceMethod(legal.notice_service), legal, view.calendar.bank_holidays
    )
    terms = notice_terms(notice.sequence - 1, notice.issued_date, receipt, legal)
    if terms is None or receipt <= notice.receipt_date:
        return []
    was = notice.pay_by_date
    notice.receipt_date, notice.pay_by_date = terms.receipt_date, terms.pay_by_date
    notice.reduced_pay_by_date = terms.reduced_pay_by_date
    _move_payment_task(db, decision, notice)
    return [
        notice_audit(
            AuditKind.NOTICE_POSTED,
            target,
            notice,
            posted_date=on.isoformat(),
            receipt_date=terms.receipt_date.isoformat(),
            previous_pay_by_date=was.isoformat(),
        )
    ]
