"""The transactional outbox: queue, claim, record results, and the sweepers for stuck rows.

Dispatch never holds a transaction open while a provider works (Notify's rule): `claim_due`
commits `sending` and `attempts + 1` first, the provider call happens outside any transaction,
and `record_result` commits the outcome in a second, short one. The gap between the provider
accepting and `record_result` committing is the crash window; docs/decisions/0002 explains why a
row left in it becomes `unknown` and is settled by a receipt or a reconciliation check, never
by a blind resend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft
from casework.core.ladder.proposals import Channel, RecipientRole
from casework.db.audit_log import append_entries
from casework.db.session import is_postgres, unit_of_work
from casework.db.tables import Message
from notifications.messages import MessageStatus, can_move
from notifications.queue import (
    MessageDraft,
    Queued,
    cancel_queued,
    enqueue,
    load_messages,
    queue_drafts,
)
from notifications.transitions import move

__all__ = [
    "RECEIPT_PROVIDERS",
    "MessageDraft",
    "OutcomeKind",
    "Queued",
    "SendOutcome",
    "cancel_queued",
    "claim_due",
    "enqueue",
    "hold_family_sms",
    "load_messages",
    "mark_handed",
    "queue_drafts",
    "record_result",
    "record_results",
    "release_claimed",
    "requeue_stale",
    "settle_stale",
    "timeout_sending",
    "unknown_messages",
]

log = logging.getLogger(__name__)
_TABLE: sa.Table = Message.__table__  # type: ignore[attr-defined]
S = MessageStatus

# Providers that report delivery; a `sent` row from any other (SMTP, letters) stays `sent`.
RECEIPT_PROVIDERS = frozenset({"twilio", "file"})


class OutcomeKind(StrEnum):
    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # not accepted; try again at retry_at
    PERMANENT = "permanent"  # not accepted, never will be for this recipient
    TECHNICAL = "technical"  # not accepted and out of attempts (or our own fault)
    UNCERTAIN = "uncertain"  # may have been accepted: leave it for a receipt or reconciliation


@dataclass(frozen=True)
class SendOutcome:
    kind: OutcomeKind
    provider: str
    reference: str | None = None
    reason: str | None = None
    code: str | None = None
    retry_at: datetime | None = None
    settled: MessageStatus | None = None  # the provider already knows the outcome (file outbox)


_TARGET: dict[OutcomeKind, MessageStatus] = {
    OutcomeKind.SENT: S.SENT,
    OutcomeKind.RETRY: S.QUEUED,
    OutcomeKind.PERMANENT: S.PERMANENT_FAILURE,
    OutcomeKind.TECHNICAL: S.TECHNICAL_FAILURE,
    OutcomeKind.UNCERTAIN: S.UNKNOWN,
}


def _is_due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(_TABLE.c.next_attempt_at.is_(None), _TABLE.c.next_attempt_at <= now)


def claim_due(
    engine: Engine, now: datetime, limit: int, channels: Sequence[str] | None = None
) -> list[int]:
    """Mark up to `limit` due messages `sending` (attempts + 1) and commit; their ids."""
    query = (
        sa.select(_TABLE.c.id)
        .where(_TABLE.c.status == S.QUEUED.value, _is_due(now))
        .order_by(_TABLE.c.id)
        .limit(limit)
    )
    if channels is not None:
        query = query.where(_TABLE.c.channel.in_(list(channels)))
    if is_postgres(engine):
        # Two dispatchers never claim the same row, and neither waits for the other.
        query = query.with_for_update(skip_locked=True)
    with unit_of_work(engine) as session:
        ids = list(session.execute(query).scalars())
        if not ids:
            return []
        claimed = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id.in_(ids), _TABLE.c.status == S.QUEUED.value)
            .values(
                status=S.SENDING.value,
                attempts=_TABLE.c.attempts + 1,
                updated_at=now,
                handed_at=None,
            )
            .returning(_TABLE.c.id)
        )
        return sorted(int(i) for i in claimed.scalars())


def mark_handed(engine: Engine, message_id: int, now: datetime) -> None:
    """Record that this attempt is about to go to the provider (committed before the call).

    Only an email needs it: SMTP keeps no ledger to ask after a crash, so recovery must know
    whether the relay could have had the message (docs/decisions/0002).
    """
    with unit_of_work(engine) as session:
        session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id == message_id, _TABLE.c.status == S.SENDING.value)
            .values(handed_at=now)
        )


def _locked(session: Session, message_ids: Sequence[int]) -> dict[int, Message]:
    # Locked in id order, so two writers settling overlapping rows cannot deadlock.
    query = (
        select(Message)
        .where(col(Message.id).in_(list(message_ids)))
        .order_by(col(Message.id))
        .with_for_update()
    )
    rows = session.exec(query.execution_options(populate_existing=True))
    return {m.id or 0: m for m in rows}


def _apply_outcome(
    session: Session, message: Message, outcome: SendOutcome, now: datetime
) -> list[AuditDraft]:
    target = _TARGET[outcome.kind]
    if outcome.reference and message.provider_ref is None:
        message.provider, message.provider_ref = outcome.provider, outcome.reference
    if not can_move(message.status, target):
        # A receipt got here first (it can overtake us), or a sweeper moved the row on.
        log.info(
            "result %s ignored for a %s message",
            outcome.kind.value,
            message.status,
            extra={"message_id": message.id},
        )
        session.add(message)
        return []
    if outcome.kind is OutcomeKind.SENT:
        message.provider = outcome.provider
    if outcome.kind in (OutcomeKind.RETRY, OutcomeKind.UNCERTAIN):
        # For an uncertain send this is when to ask the provider, not when to resend.
        message.next_attempt_at = outcome.retry_at
        message.last_error = outcome.reason
    drafts = move(session, message, target, now, reason=outcome.reason, code=outcome.code)
    if outcome.settled is not None and can_move(target, outcome.settled):
        drafts += move(session, message, outcome.settled, now)
    return drafts


def record_results(
    engine: Engine, results: Sequence[tuple[int, SendOutcome]], now: datetime
) -> None:
    """Commit the outcomes of several sends in one transaction, with their audit entries."""
    if not results:
        return
    with unit_of_work(engine) as session:
        rows = _locked(session, [message_id for message_id, _ in results])
        drafts: list[AuditDraft] = []
        for message_id, outcome in results:
            message = rows.get(message_id)
            if message is None:
                log.warning("result for a missing message", extra={"message_id": message_id})
                continue
            drafts += _apply_outcome(session, message, outcome, now)
        append_entries(session, drafts, now)


def record_result(engine: Engine, message_id: int, outcome: SendOutcome, now: datetime) -> None:
    """Commit what the provider said about one claimed message, with its audit entries."""
    record_results(engine, [(message_id, outcome)], now)


def release_claimed(engine: Engine, message_ids: Sequence[int], until: datetime) -> int:
    """Hand claimed messages back unsent until `until` (quiet hours); the claim is not counted."""
    if not message_ids:
        return 0
    with unit_of_work(engine) as session:
        result = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id.in_(list(message_ids)), _TABLE.c.status == S.SENDING.value)
            .values(status=S.QUEUED.value, attempts=_TABLE.c.attempts - 1, next_attempt_at=until)
            .returning(_TABLE.c.id)
        )
        return len(result.all())


def hold_family_sms(engine: Engine, now: datetime, until: datetime) -> int:
    """Push queued texts to families that are due now to `until` (the end of quiet hours)."""
    with unit_of_work(engine) as session:
        result = session.execute(
            sa.update(_TABLE)
            .where(
                _TABLE.c.status == S.QUEUED.value,
                _TABLE.c.channel == Channel.SMS.value,
                _TABLE.c.recipient_role == RecipientRole.PARENT.value,
                _is_due(now),
            )
            .values(next_attempt_at=until)
            .returning(_TABLE.c.id)
        )
        return len(result.all())


def _rows(session: Session, *conditions: sa.ColumnElement[bool]) -> list[Message]:
    query = select(Message).where(*conditions).order_by(col(Message.id)).with_for_update()
    return list(session.exec(query))


def _never_left(message: Message) -> bool:
    """A letter (rendering again is harmless) or an email never handed to the relay."""
    if message.channel == Channel.LETTER.value:
        return True
    return message.channel == Channel.EMAIL.value and message.handed_at is None


def settle_stale(engine: Engine, now: datetime, older_than: timedelta) -> tuple[int, int]:
    """Rows stuck in `sending`: what never left goes back to the queue, the rest to `unknown`.

    Rendering a letter again is harmless, and an email never handed to the relay cannot have
    been sent; sending a text or a handed email again is not harmless (docs/decisions/0002).
    Returns (queued again, now unknown).
    """
    cutoff = now - older_than
    requeued = 0
    with unit_of_work(engine) as session:
        stale = _rows(
            session, col(Message.status) == S.SENDING.value, col(Message.updated_at) < cutoff
        )
        for message in stale:
            # Stale means the request ended long ago: the provider can be asked straight away.
            message.next_attempt_at = None
            if _never_left(message):
                # The crashed claim was no attempt: it does not count against the message.
                message.attempts = max(message.attempts - 1, 0)
                move(session, message, S.QUEUED, now)
                requeued += 1
            else:
                move(session, message, S.UNKNOWN, now, reason="no result recorded: crash window")
    if stale:
        log.warning("%d stale sending messages settled", len(stale))
    return requeued, len(stale) - requeued


def requeue_stale(engine: Engine, now: datetime, older_than: timedelta) -> int:
    """Settle rows stuck in `sending` (see `settle_stale`); how many there were."""
    return sum(settle_stale(engine, now, older_than))


def timeout_sending(engine: Engine, now: datetime, after: timedelta) -> int:
    """No receipt within `after`: `sent` -> temporary_failure, `unknown` -> technical_failure."""
    cutoff = now - after
    with unit_of_work(engine) as session:
        silent = _rows(
            session,
            col(Message.status) == S.SENT.value,
            col(Message.provider).in_(sorted(RECEIPT_PROVIDERS)),
            col(Message.updated_at) < cutoff,
        )
        unresolved = _rows(
            session, col(Message.status) == S.UNKNOWN.value, col(Message.updated_at) < cutoff
        )
        drafts = [
            *(
                d
                for m in silent
                for d in move(session, m, S.TEMPORARY_FAILURE, now, reason="no receipt")
            ),
            *(
                d
                for m in unresolved
                for d in move(session, m, S.TECHNICAL_FAILURE, now, reason="never confirmed")
            ),
        ]
        append_entries(session, drafts, now)
    return len(silent) + len(unresolved)


def unknown_messages(engine: Engine, channel: str, now: datetime, limit: int) -> list[Message]:
    """Messages in `unknown` on `channel` due a check with the provider, oldest first."""
    with unit_of_work(engine) as session:
        query = (
            select(Message)
            .where(
                col(Message.status) == S.UNKNOWN.value,
                col(Message.channel) == channel,
                _is_due(now),
            )
            .order_by(col(Message.id))
            .limit(limit)
        )
        return list(session.exec(query))
