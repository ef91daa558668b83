"""Two human writes raced for real: two threads, two connections, one row, interleaved on purpose.

The first writer is held inside its transaction after it changed the row, just before it
appends its audit entries (where, without a lock, a second writer reads the old status). The
second writer starts only then; on PostgreSQL we wait until the server shows it waiting on a
lock, on SQLite (no row locks: the second BEGIN IMMEDIATE waits) a short pause lets it reach its
BEGIN. Then the first commits and the second carries on with what it finds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Event
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.db import audit_log

FIRST = "first-writer"
_WAIT = 20.0  # seconds: a hung race fails the test instead of hanging the suite


@dataclass
class Result:
    error: BaseException | None = None
    done: Event = field(default_factory=Event)


def _run(write: Callable[[], Any], result: Result) -> None:
    try:
        write()
    except BaseException as exc:  # the loser's refusal is what the test looks at
        result.error = exc
    finally:
        result.done.set()


def _waiting_on_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return bool(found)


def _until_blocked(engine: Engine, second: Result) -> None:
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + _WAIT
    while not _waiting_on_lock(engine):
        if second.done.is_set() or time.monotonic() > deadline:
            return  # it finished (or failed) without waiting: the test's asserts will say
        time.sleep(0.02)


@contextmanager
def _hold_first(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[threading.Event, threading.Event]]:
    held, release = Event(), Event()
    real = audit_log._lock_chain

    def holding(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == FIRST:
            held.set()
            assert release.wait(_WAIT), "the race was never released"
        real(*args, **kwargs)

    monkeypatch.setattr(audit_log, "_lock_chain", holding)
    yield held, release


def race(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], Any],
    second: Callable[[], Any],
) -> tuple[Result, Result]:
    """Run `first` and `second` so that they overlap inside their transactions; both results.

    The hold is the moment the first writer is about to append its audit entries, the last
    thing every write does before it commits (it wraps casework.db.audit_log's chain lock, taken
    just after), so the code under test needs no hook and the race is the same with or without
    the row claims: without them, both writers commit.
    """
    one, two = Result(), Result()
    with _hold_first(monkeypatch) as (held, release):
        a = threading.Thread(target=_run, args=(first, one), name=FIRST)
        a.start()
        if not held.wait(_WAIT):
            release.set()
            a.join(_WAIT)
            pytest.fail(f"the first writer never reached its audit entries: {one.error!r}")
        b = threading.Thread(target=_run, args=(second, two), name="second-writer")
        b.start()
        _until_blocked(engine, two)
        release.set()
        a.join(_WAIT)
        b.join(_WAIT)
    assert one.done.is_set(), "the first writer is still running"
    assert two.done.is_set(), "the second writer is still running"
    return one, two


def side_by_side(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Result, Result]:
    """Start both writes at the same instant (a barrier), with no hold: whichever wins, wins."""
    barrier = threading.Barrier(2)
    results = Result(), Result()

    def go(write: Callable[[], Any], result: Result) -> None:
        barrier.wait(_WAIT)
        _run(write, result)

    threads = [
        threading.Thread(target=go, args=(w, r))
        for w, r in zip((first, second), results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_WAIT * 2)
    return results
