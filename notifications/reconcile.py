"""The reconciliation check for the crash window: ask the provider before sending again.

A text in `unknown` may or may not be with the provider (docs/decisions/0002). Instead of a
blind resend, the provider's own ledger is searched: found -> `sent` with its reference (and any
receipt it already has); not found -> back to the queue, because the provider provably does not
have it. A provider that cannot be asked leaves the row in `unknown` for a later run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine

from casework.core.ladder.proposals import Channel
from notifications.outbox import OutcomeKind, SendOutcome, record_result, unknown_messages
from notifications.providers import OutgoingSms, SmsLedger

log = logging.getLogger(__name__)


def reconcile_unknown(
    engine: Engine, ledger: SmsLedger, provider: str, now: datetime, limit: int = 500
) -> tuple[int, int]:
    """Settle up to `limit` unknown texts against `ledger`: (found there, queued again)."""
    found_count = queued = 0
    for message in unknown_messages(engine, Channel.SMS.value, now, limit):
        message_id = message.id or 0
        sms = OutgoingSms(message_id, message.normalised_to, message.body)
        try:
            found = ledger.find_accepted(sms, since=message.created_at)
        except Exception as exc:  # the provider cannot say: leave it unknown, ask again later
            log.warning(
                "reconciliation lookup failed: %s",
                type(exc).__name__,
                extra={"message_id": message_id},
            )
            continue
        if found is None:
            outcome = SendOutcome(
                OutcomeKind.RETRY, provider, reason="provider never had it", retry_at=now
            )
            queued += 1
        else:
            outcome = SendOutcome(
                OutcomeKind.SENT, found.provider, reference=found.reference, settled=found.settled
            )
            found_count += 1
        record_result(engine, message_id, outcome, now)
    return found_count, queued
