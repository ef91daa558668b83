"""`flows.sending`: the daily sweep's sending loop, driven by real futures on real threads.

No Prefect server: the loop needs only futures that call back when they finish, and a batch
function, here one that counts what it is asked for and says how much it found.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from flows.sending import MAX_BATCHES_AFTER, send_as_schools_commit
from notifications.dispatch import DispatchStats


def _found(n: int) -> DispatchStats:
    return DispatchStats(claimed=n, sent=n, retried=0, failed=0, letters=0)


class _Outbox:
    """Batches take what the finished schools queued; each call notes whether all were done."""

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


def test_texts_go_while_a_school_is_still_being_swept_and_after_the_last() -> None:
    done: Future[None] = Future()
    done.set_result(None)
    slow: Future[None] = Future()
    outbox = _Outbox([done, slow], texts_each=3)
    finisher = _finish_later(slow, outbox.first_batch)

    summary = send_as_schools_commit([done, slow], outbox.batch, idle_wait_seconds=0.05)
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
    send_as_schools_commit([slow], batch, idle_wait_seconds=0.05)
    release.join()

    # Idle waits of 0.05 s over ~0.3 s, then one batch after the school finished: a handful of
    # calls, where a loop that did not wait would have made thousands.
    assert 2 <= len(calls) <= 20


def test_batches_after_the_last_school_are_capped_like_the_dispatch_flow() -> None:
    done: Future[None] = Future()
    done.set_result(None)
    calls: list[int] = []

    def always_more() -> DispatchStats:
        calls.append(1)
        return _found(1)

    summary = send_as_schools_commit([done], always_more)

    assert len(calls) == MAX_BATCHES_AFTER
    assert summary.batches == MAX_BATCHES_AFTER


def test_a_failing_batch_is_raised_to_the_flow() -> None:
    done: Future[None] = Future()
    done.set_result(None)

    def provider_away() -> DispatchStats:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError, match="down"):
        send_as_schools_commit([done], provider_away)
