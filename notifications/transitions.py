"""Moving one outbox row to a new status, with the audit facts that move produces.

The only place a message's status changes after it is queued (apart from the bulk claim), so
the transition table is checked and the `message.sent` / `delivered` / `failed` facts are
written the same way whether the news came from the dispatcher, a receipt or a sweeper.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from casework.core.audit import AuditDraft, AuditKind
from casework.db.tables import Message
from notifications.bounces import address_task
from notifications.fallback import queue_fallback
from notifications.messages import FAILURE_STATUSES, MessageStatus, check_move
from notifications.trail import message_event

IN_FLIGHT = frozenset({MessageStatus.SENDING, MessageStatus.UNKNOWN})
# Failed for good: refused, or never accepted within the retry horizon (provider outage).
FALLBACK_ON = frozenset({MessageStatus.PERMANENT_FAILURE, MessageStatus.TECHNICAL_FAILURE})


def move(
    session: Session,
    message: Message,
    new: MessageStatus,
    now: datetime,
    *,
    accepted: bool = False,
    reason: str | None = None,
    code: str | None = None,
) -> list[AuditDraft]:
    """Set `message` to `new` (IllegalTransition if the table forbids it); its audit drafts.

    Args:
        accepted: the news implies the provider had the message (a receipt), so a row that
            never recorded `sent` gets its `message.sent` fact first.
    """
    previous = MessageStatus(message.status)
    check_move(previous, new)
    message.status = new.value
    message.updated_at = now
    if new in FAILURE_STATUSES or new is MessageStatus.UNKNOWN:
        message.last_error = reason or code or message.last_error
    session.add(message)
    drafts = _facts(message, new, accepted and previous in IN_FLIGHT, reason, code)
    if new in FALLBACK_ON:
        session.flush()  # the fallback reads the contact and inserts beside this row
        drafts.extend(address_task(session, message, now))
        drafts.extend(queue_fallback(session, message, now))
    return drafts


def _facts(
    message: Message, new: MessageStatus, sent_first: bool, reason: str | None, code: str | None
) -> list[AuditDraft]:
    """The audit facts of reaching `new`; `sent_first` adds the never-recorded `sent`."""
    drafts: list[AuditDraft] = []
    if new is MessageStatus.SENT or sent_first:
        drafts.append(
            message_event(
                AuditKind.MESSAGE_SENT,
                message,
                provider=message.provider,
                provider_ref=message.provider_ref,
            )
        )
    if new is MessageStatus.DELIVERED:
        drafts.append(message_event(AuditKind.MESSAGE_DELIVERED, message))
    if new in FAILURE_STATUSES:
        drafts.append(
            message_event(
                AuditKind.MESSAGE_FAILED, message, status=new.value, reason=reason, error_code=code
            )
        )
    return drafts
