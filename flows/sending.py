"""Sending while a sweep runs: each school's texts and emails as soon as that school has committed.

A sweep's schools commit one by one over the run (about half a minute at 100,000 pupils on two
cores), and a first-day text is due the moment its school has committed. Waiting for the last
school before sending made the morning the sweep plus the send; sending meanwhile makes it the
longer of the two (issue 24).

The sending runs in a child process (`ChildSender`), not on threads beside the schools' sweeps:
there it shared the sweep's interpreter lock, and at 100,000 pupils with eight school threads
the AM sweep took 65 s instead of 31-35 s (bench.morning, ADR 0012).
The parent tells the child over a pipe each time a school finishes and when the last has; a
closed pipe (the parent killed) counts as the last, so the child sends what was committed and
stops. Each batch is the same `send_batch` the dispatch flow's `dispatch-batch` task runs, so the
claim-before-send outbox, the rate limit and the `sms-provider` slot are the same as at any other
time, and a batch that finds a message another dispatcher claimed leaves it alone. What the child
leaves unsent (it failed, or was killed) stays queued for the next `dispatch` run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, Protocol

from casework.settings import Settings
from flows.dispatch import DispatchSummary, made_progress, send_batch
from flows.runtime import Runtime
from notifications.dispatch import SENDS, DispatchStats

IDLE_WAIT_SECONDS = 1.0
# After the last school has committed, as many batches as the dispatch flow allows itself.
MAX_BATCHES_AFTER = 20
# A batch claims again after each chunk it sends, so what schools commit meanwhile joins it; a
# larger batch means fewer new runs (each settles leftovers and opens its SMTP connections anew).
SEND_BATCH = 2000
# How often the parent, waiting for the child's summary, checks that the child is still alive.
CHILD_CHECK_SECONDS = 1.0


class SendingStopped(RuntimeError):
    """The child process stopped sending before the end; the outbox keeps the rest queued."""


class Finishing(Protocol):
    """A future that calls back when it finishes (Prefect's and concurrent.futures' alike)."""

    def add_done_callback(self, fn: Callable[[Any], None]) -> None: ...


class Committing(Protocol):
    """What the sending loop needs to know about the schools being swept."""

    def all(self) -> bool: ...

    def wait_for_more(self, timeout: float) -> None: ...


class SchoolsAnnouncer:
    """The parent's side of the pipe: one word a finished school, `all` after the last."""

    def __init__(self, futures: Sequence[Finishing], conn: Connection) -> None:
        self._left = len(futures)
        self._conn = conn
        self._lock = threading.Lock()  # callbacks come from the task runner's threads
        if not futures:
            conn.send("all")
        for future in futures:
            future.add_done_callback(self._one_finished)

    def _one_finished(self, _future: object) -> None:
        with self._lock:
            self._left -= 1
            # A child that has gone is found out when the parent asks for its summary.
            with contextlib.suppress(OSError):
                self._conn.send("all" if self._left == 0 else "one")


class AnnouncedSchools:
    """The child's side of the pipe; a pipe closed by a dead parent counts as every school done."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._all = False

    def _drain(self, timeout: float) -> None:
        try:
            while not self._all and self._conn.poll(timeout):
                self._all = self._conn.recv() == "all"
                timeout = 0
        except (EOFError, OSError):
            self._all = True

    def all(self) -> bool:
        self._drain(0)
        return self._all

    def wait_for_more(self, timeout: float) -> None:
        self._drain(timeout)


def send_while_sweeping(
    schools: Committing,
    send: Callable[[], DispatchStats],
    idle_wait_seconds: float = IDLE_WAIT_SECONDS,
) -> DispatchSummary:
    """Call `send` while any school is still being swept, and after the last one commits.

    A batch that finds nothing waits for the next school to finish (or `idle_wait_seconds`).
    It stops when a batch begun after every school had finished finds nothing: that batch saw
    everything the sweep queued.
    """
    summary = DispatchSummary()
    batches_after = 0
    while batches_after < MAX_BATCHES_AFTER:
        all_committed = schools.all()
        stats = send()
        summary = summary.add(stats)
        if all_committed:
            batches_after += 1
            if not made_progress(stats):
                break
        elif not made_progress(stats):
            schools.wait_for_more(idle_wait_seconds)
    return summary


def _child(
    conn: Connection, settings: Settings, fixed_now: datetime | None, idle_wait: float
) -> None:
    """The child process: open the database, send until the parent's schools are done, report.

    Only counts and an exception's type and first line go back: no message, no pupil.
    """
    from casework.core.policy import load_policy
    from casework.db.database import open_database

    try:
        runtime = Runtime(
            settings, open_database(settings), load_policy(settings.policy_file), fixed_now
        )

        def one_batch() -> DispatchStats:
            return send_batch(runtime, SEND_BATCH, None, list(SENDS))

        summary = send_while_sweeping(AnnouncedSchools(conn), one_batch, idle_wait)
        conn.send(("sent", summary))
    except Exception as exc:  # reported to the parent, which raises it in the flow
        first_line = (str(exc).strip().splitlines() or [""])[0]
        conn.send(("stopped", f"{type(exc).__name__}: {first_line}"))
    finally:
        conn.close()


class ChildSender:
    """The sending child process of one sweep; `summary()` waits for it after the last school."""

    def __init__(
        self,
        futures: Sequence[Finishing],
        settings: Settings,
        fixed_now: datetime | None,
        idle_wait_seconds: float = IDLE_WAIT_SECONDS,
    ) -> None:
        # spawn, not fork: the flow's process holds Prefect's threads and their locks.
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_child,
            args=(child_conn, settings, fixed_now, idle_wait_seconds),
            name="pathway-sending",
            daemon=True,
        )
        self._process.start()
        child_conn.close()
        SchoolsAnnouncer(futures, self._conn)

    def summary(self) -> DispatchSummary:
        """The child's totals once it has finished; SendingStopped if it failed or died."""
        try:
            while not self._conn.poll(CHILD_CHECK_SECONDS):
                if not self._process.is_alive():
                    break
            outcome, value = self._conn.recv() if self._conn.poll(0) else ("died", None)
        except EOFError:
            outcome, value = "died", None
        finally:
            self._process.join(timeout=30)
            self._conn.close()
        if outcome == "sent" and isinstance(value, DispatchSummary):
            return value
        if outcome == "stopped":
            raise SendingStopped(f"sending stopped: {value}; the dispatch runs send the rest")
        raise SendingStopped(
            f"the sending process ended without a summary (exit code {self._process.exitcode});"
            " the dispatch runs send the rest"
        )
