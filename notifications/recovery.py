"""Settling what a crashed dispatch run left in flight, before anything is sent again.

Every dispatch run (`pathway dispatch`, the Prefect dispatch flow) starts here
(docs/decisions/0002): rows in `sending` for longer than `recover_after` belong to a run that
died. A letter, or an email never handed to the relay, goes back to the queue (it cannot have
left); a text or a handed email becomes `unknown`. Unknown texts are then looked up in the
provider's ledger: found -> `sent`, provably absent -> queued again, provider unreachable ->
left for the next run. Finally the silent ones time out past the retry horizon. A crash so costs
at most the messages actually with a provider when it happened, and none is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from notifications.outbox import settle_stale, timeout_sending
from notifications.providers import SmsLedger
from notifications.reconcile import reconcile_unknown


@dataclass(frozen=True)
class Recovery:
    """Counts by outcome of settling one crashed run's leftovers (nothing personal)."""

    requeued: int = 0  # claimed but never left us: queued again
    to_check: int = 0  # may be with the provider: moved to `unknown`
    found: int = 0  # unknown texts the provider's ledger had: recorded `sent`, not resent
    not_found: int = 0  # unknown texts the provider provably never had: queued again
    timed_out: int = 0  # no receipt, or never confirmed, within the horizon

    @property
    def reconciled(self) -> int:
        return self.found + self.not_found


def settle_in_flight(
    engine: Engine,
    ledger: tuple[SmsLedger, str] | None,
    now: datetime,
    recover_after: timedelta,
    horizon: timedelta,
) -> Recovery:
    """Settle a crashed run's rows; `ledger` is the SMS ledger and its provider's name."""
    requeued, to_check = settle_stale(engine, now, recover_after)
    found = not_found = 0
    if ledger is not None:
        found, not_found = reconcile_unknown(engine, ledger[0], ledger[1], now)
    timed_out = timeout_sending(engine, now, horizon)
    return Recovery(requeued, to_check, found, not_found, timed_out)
