"""The dispatch flow: send what the outbox holds, in batches, until nothing is due.

Each batch begins, as `pathway dispatch` does, by settling what a crashed run left in flight
(notifications/recovery.py): the same service, so the flow and the command cannot drift apart.

`notifications.dispatch.dispatch_due` claims each message (committing `sending`) before calling
its provider and records the outcome after, so a batch that fails part-way and is retried never
sends a message twice: it only claims what is still queued. Retries here are for the provider or
the network being away, never for a message the provider may already have accepted.

Several LAs can share one SMS account: when a Prefect server is configured, each batch holds a
slot of the global concurrency limit `sms-provider` (create it once with
`prefect gcl create sms-provider --limit 1`; docs/orchestration.md). An ephemeral in-process run
has no other dispatcher to coordinate with, so it skips the limit.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.concurrency.sync import concurrency
from prefect.settings import get_current_settings

from flows.retries import is_transient_send_error
from flows.runtime import Runtime, open_runtime
from notifications.dispatch import DispatchStats, dispatch_due

SMS_PROVIDER_LIMIT = "sms-provider"


@dataclass(frozen=True)
class DispatchSummary:
    """Totals over the batches of one dispatch run."""

    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    letters: int = 0
    unknown: int = 0
    held: int = 0
    reconciled: int = 0
    recovered: int = 0  # rows a crashed run left in `sending`, settled
    timed_out: int = 0

    def add(self, stats: DispatchStats) -> DispatchSummary:
        return DispatchSummary(
            batches=self.batches + 1,
            claimed=self.claimed + stats.claimed,
            sent=self.sent + stats.sent,
            retried=self.retried + stats.retried,
            failed=self.failed + stats.failed,
            letters=self.letters + stats.letters,
            unknown=self.unknown + stats.unknown,
            held=self.held + stats.held,
            reconciled=self.reconciled + stats.reconciled,
            recovered=self.recovered + stats.recovery.requeued + stats.recovery.to_check,
            timed_out=self.timed_out + stats.recovery.timed_out,
        )


def made_progress(stats: DispatchStats) -> bool:
    """Whether a batch moved anything on; texts held back for quiet hours do not count."""
    return stats.claimed - stats.held + stats.letters > 0


def provider_slot() -> AbstractContextManager[object]:
    """A slot of the `sms-provider` limit when a Prefect server is configured, else nothing."""
    if get_current_settings().api.url:
        return concurrency(SMS_PROVIDER_LIMIT, occupy=1)
    return nullcontext()


@task(
    name="dispatch-batch",
    retries=3,
    retry_delay_seconds=[10, 60, 300],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient_send_error,
    persist_result=False,
)
def dispatch_batch_task(
    limit: int, recover_after_seconds: int | None = None, channels: list[str] | None = None
) -> DispatchStats:
    """Settle a crashed run's leftovers, then claim and send up to `limit`; counts only."""
    return send_batch(open_runtime(), limit, recover_after_seconds, channels)


def send_batch(
    runtime: Runtime,
    limit: int,
    recover_after_seconds: int | None = None,
    channels: list[str] | None = None,
) -> DispatchStats:
    """One batch holding the `sms-provider` slot: what `dispatch-batch` and a sweep's sender run."""
    stale = None if recover_after_seconds is None else timedelta(seconds=recover_after_seconds)
    with provider_slot():
        return dispatch_due(
            runtime.engine,
            runtime.settings,
            runtime.now(),
            limit=limit,
            recover_after=stale,
            channels=channels,
        )


@flow(name="dispatch", persist_result=False, log_prints=False)
def dispatch(
    batch_size: int = 500,
    max_batches: int = 20,
    recover_after_seconds: int | None = None,
    channels: list[str] | None = None,
) -> DispatchSummary:
    """Send due messages and render queued letters, batch by batch, until a batch finds nothing.

    Args:
        channels: only these ("sms", "email", "letter"); default all, texts and emails first.
    """
    summary = DispatchSummary()
    for _ in range(max_batches):
        stats = dispatch_batch_task(batch_size, recover_after_seconds, channels)
        summary = summary.add(stats)
        if not made_progress(stats):
            break
    get_run_logger().info("Dispatch: %s", summary)
    return summary
