"""`flows.sending`: the daily sweep's sending loop, told about schools over a real pipe.

The parent's `SchoolsAnnouncer` hears real futures finish on real threads and writes to a
`multiprocessing` pipe; the loop reads it through `AnnouncedSchools`, as the child process does.
The batch function counts what it is asked for and says how much it found. `ChildSender` itself
is run as a real spawned process; its sending through the outbox is in test_flows.py.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest

from casework.settings import Settings
from flows.dispatch import DispatchSummary
from flows.sending import (
    MAX_BATCHES_AFTER,
    AnnouncedSchools,
    ChildSender,
    SchoolsAnnouncer,
    SendingStopped,
    send_while_sweeping,
)
from notifications.dispatch import DispatchStats


def _found(n: int) -> DispatchStats:
    return DispatchStats(claimed=n, sent=n, retried=0, failed=0, letters=0)


def _send_over_pipe(
    schools: list[Future[None]], batch: Callable[[], DispatchStats], idle_wait: float = 0.05
) -> DispatchSummary:
    parent, child = multiprocessing.Pipe()
    SchoolsAnnouncer(schools, parent)
    return send_while_sweeping(AnnouncedSchools(child), batch, idle_wait)


class _Outbox:
    """Batches take what the finished schools queued; each call notes how many were done."""

    def __init__(self, schools: list[Future[None]], texts_each: int) -> None:
        self.schools = schools
        self.texts_each = texts_each
        self.taken = 0
        self.calls: list[int] = []  # schools finished when each batch began
        self.first_batch = threading.Event()

    def batch(self) -> DispatchStats:
        finished = sum(f.done() for f in self.schools)
        self.calls.append(finished)
        due = finished * self.texts_each - self.taken
        self.taken += due
        self.first_batch.set()
        return _found(due)


def _finish_later(school: Future[None], when: threading.Event) -> threading.Thread:
    def run() -> None:
        when.wait(10)
        school.set_result(None)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


def test_texts_go_while_a_school_is_still_being_swept_and_after_the_last() -> None:
    done, slow = _done(), Future[None]()
    outbox = _Outbox([done, slow], texts_each=3)
    finisher = _finish_later(slow, outbox.first_batch)

    summary = _send_over_pipe([done, slow], outbox.batch)
    finisher.join()

    assert outbox.calls[0] == 1  # the first school's texts went before the second committed
    assert outbox.calls[-1] == 2  # the last batch began after both had committed, found none
    assert summary.claimed == summary.sent == 6
    assert outbox.taken == 6


def test_a_batch_that_finds_nothing_waits_for_the_next_school() -> None:
    slow: Future[None] = Future()
    calls: list[int] = []

    def batch() -> DispatchStats:
        calls.append(0)
        return _found(0)

    release = threading.Timer(0.3, lambda: slow.set_result(None))
    release.start()
    _send_over_pipe([slow], batch)
    release.join()

    # Idle waits of 0.05 s over ~0.3 s, then one batch after the school finished: a handful of
    # calls, where a loop that did not wait would have made thousands.
    assert 2 <= len(calls) <= 20


def test_batches_after_the_last_school_are_capped_like_the_dispatch_flow() -> None:
    calls: list[int] = []

    def always_more() -> DispatchStats:
        calls.append(1)
        return _found(1)

    summary = _send_over_pipe([_done()], always_more)

    assert len(calls) == MAX_BATCHES_AFTER
    assert summary.batches == MAX_BATCHES_AFTER


def test_a_parent_that_dies_counts_as_every_school_done() -> None:
    """A killed flow process closes its end: the child sends what was committed, then stops."""
    parent, child = multiprocessing.Pipe()
    left = [2, 0]  # the first batch finds 2, the next nothing

    def batch() -> DispatchStats:
        return _found(left.pop(0))

    parent.close()
    summary = send_while_sweeping(AnnouncedSchools(child), batch, 0.05)

    assert summary.batches == 2
    assert summary.sent == 2


def test_a_failing_batch_is_raised_in_the_loop() -> None:
    def provider_away() -> DispatchStats:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError, match="down"):
        _send_over_pipe([_done()], provider_away)


def test_a_child_that_cannot_send_stops_the_flow_with_the_reason(tmp_path: Path) -> None:
    """A real spawned child whose database folder is missing: SendingStopped names why."""
    settings = Settings(
        var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'missing' / 'pathway.db'}"
    )

    sender = ChildSender([_done()], settings, None)

    with pytest.raises(SendingStopped, match="DatabaseUnavailable"):
        sender.summary()
