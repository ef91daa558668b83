"""Sending while a sweep runs: each school's texts and emails as soon as that school has committed.

A sweep's schools commit one by one over the run (about half a minute at 100,000 pupils on two
cores), and a first-day text is due the moment its school has committed. Waiting for the last
school before sending made the morning the sweep plus the send; sending meanwhile makes it the
longer of the two (issue 24). Each batch is the dispatch flow's own `dispatch-batch` task, so the
claim-before-send outbox, the rate limit and the `sms-provider` slot are the same as at any
other time, and a batch that finds a message another dispatcher claimed leaves it alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flows.dispatch import DispatchSummary, made_progress
from notifications.dispatch import DispatchStats

IDLE_WAIT_SECONDS = 1.0
# After the last school has committed, as many batches as the dispatch flow allows itself.
MAX_BATCHES_AFTER = 20


class Finishing(Protocol):
    """A future that calls back when it finishes (Prefect's and concurrent.futures' alike)."""

    def add_done_callback(self, fn: Callable[[Any], None]) -> None: ...


class _Finished:
    """How many of the futures have finished, counted by their callbacks (no polling)."""

    def __init__(self, futures: Sequence[Finishing]) -> None:
        self._left = len(futures)
        self._lock = threading.Lock()
        self._changed = threading.Event()
        for future in futures:
            future.add_done_callback(self._one_finished)

    def _one_finished(self, _future: object) -> None:
        with self._lock:
            self._left -= 1
        self._changed.set()

    def all(self) -> bool:
        with self._lock:
            return self._left == 0

    def wait_for_more(self, timeout: float) -> None:
        self._changed.wait(timeout)
        self._changed.clear()


def send_as_schools_commit(
    futures: Sequence[Finishing],
    send_batch: Callable[[], DispatchStats],
    idle_wait_seconds: float = IDLE_WAIT_SECONDS,
) -> DispatchSummary:
    """Call `send_batch` while any school is still being swept, and after the last one commits.

    A batch that finds nothing waits for the next school to finish (or `idle_wait_seconds`).
    It stops when a batch begun after every school had finished finds nothing: that batch saw
    everything the sweep queued.
    """
    finished = _Finished(futures)
    summary = DispatchSummary()
    batches_after = 0
    while batches_after < MAX_BATCHES_AFTER:
        all_committed = finished.all()
        stats = send_batch()
        summary = summary.add(stats)
        if all_committed:
            batches_after += 1
            if not made_progress(stats):
                break
        elif not made_progress(stats):
            finished.wait_for_more(idle_wait_seconds)
    return summary
