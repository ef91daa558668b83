"""Schools swept in worker processes: each school's sweep is one submission and one transaction.

A school's sweep is Python's CPU (loading, the rules, writing), so threads in one process share
one core however many schools they run at once. The daily-sweep flow keeps its one Prefect task a
school on threads and has each task hand its school to these processes (STACK.md §1: "one task
per school", "multiprocessing inside a task"); `run_sweep` uses them the same way.

A worker that dies (killed, out of memory) breaks the pool for every school waiting in it; the
pool is then replaced once for that breakage and the school handed to the new one, so one lost
process does not fail the schools behind it. The school it was sweeping committed or did not,
and a sweep run again changes nothing (`sweep_school`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Generic, Protocol, TypeVar

from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.core.policy import Policy
from casework.db.session import get_engine

log = logging.getLogger(__name__)
MANY_SCHOOLS = 20
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class SweepsOneSchool(Protocol[R_co]):
    """`sweep.sweep_school`'s shape; handed in, so that this module need not import the sweep."""

    def __call__(
        self,
        engine: Engine,
        urn: str,
        school_date: date,
        session: RegisterSession,
        *,
        policy: Policy,
        now: datetime,
    ) -> R_co: ...


def _shareable(engine: Engine) -> bool:
    """Whether another process can open the same database (not an in-memory SQLite one)."""
    return not (engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"))


def worker_count(engine: Engine, workers: int, schools: int) -> int:
    """Processes for sweeping `schools` schools of `engine`'s database: `workers` (0 = one per
    core once there are MANY_SCHOOLS), never more than the schools; 1 means the caller's process
    alone, as it always is for a database no other process can open."""
    if not _shareable(engine):
        return 1
    if workers == 0:
        workers = (os.cpu_count() or 1) if schools >= MANY_SCHOOLS else 1
    return max(1, min(workers, schools))


@dataclass(frozen=True)
class _OneSchool(Generic[R]):
    """One school handed to a worker process: what its sweep is called with, and the sweep."""

    sweep: SweepsOneSchool[R]
    url: str
    urn: str
    school_date: date
    session: RegisterSession
    policy: Policy
    now: datetime


def _sweep_in_worker(school: _OneSchool[R]) -> R:
    engine = get_engine(school.url)
    return school.sweep(
        engine, school.urn, school.school_date, school.session, policy=school.policy, now=school.now
    )


def _start_method(preload: str) -> multiprocessing.context.BaseContext:
    """Forked from a server process that has already imported the sweep (a second or so saved
    for every process after the first), never from the caller, whose open connections and
    threads (Prefect's among them) a fork would copy; spawned where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload, __name__])
    return context


class SchoolProcesses(Generic[R]):
    """A pool of `workers` processes running `sweep` for schools of the database behind `engine`.

    `sweep` is handed over by reference (its module and name), so it must be a module-level
    function; its module is imported once, in the fork server. Thread-safe: the flow's task
    threads hand it schools at once. Use it as a context manager; leaving waits for the schools
    already handed over.
    """

    def __init__(self, engine: Engine, workers: int, sweep: SweepsOneSchool[R]) -> None:
        self._url = engine.url.render_as_string(hide_password=False)
        self._workers = workers
        self._sweep = sweep
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        start = _start_method(self._sweep.__module__)
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=start)

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """The pool to use after `broken` broke: a new one, made once however many notice."""
        with self._lock:
            if self._pool is broken:
                log.warning("a sweep worker process died; starting a new pool of %d", self._workers)
                broken.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            return self._pool

    def _submit(self, school: _OneSchool[R]) -> tuple[ProcessPoolExecutor, Future[R]]:
        """Hand one school over; to a new pool if the current one is found broken."""
        pool = self._pool
        try:
            return pool, pool.submit(_sweep_in_worker, school)
        except BrokenProcessPool:
            pool = self._replace(pool)
            return pool, pool.submit(_sweep_in_worker, school)

    def _result(self, pool: ProcessPoolExecutor, future: Future[R], school: _OneSchool[R]) -> R:
        """The school's result; handed to a new pool once if `pool` broke before it came."""
        try:
            return future.result()
        except BrokenProcessPool:
            return self._replace(pool).submit(_sweep_in_worker, school).result()

    def _school(
        self, urn: str, school_date: date, session: RegisterSession, policy: Policy, now: datetime
    ) -> _OneSchool[R]:
        return _OneSchool(self._sweep, self._url, urn, school_date, session, policy, now)

    def sweep(
        self,
        urn: str,
        school_date: date,
        session: RegisterSession,
        *,
        policy: Policy,
        now: datetime,
    ) -> R:
        """Sweep one school in a worker process and wait for its result."""
        school = self._school(urn, school_date, session, policy, now)
        return self._result(*self._submit(school), school)

    def sweep_all(
        self,
        urns: list[str],
        school_date: date,
        session: RegisterSession,
        *,
        policy: Policy,
        now: datetime,
    ) -> list[R]:
        """Sweep the schools, all handed over at once; their results in the order of `urns`."""
        every = [self._school(urn, school_date, session, policy, now) for urn in urns]
        handed = [(self._submit(school), school) for school in every]
        return [self._result(pool, future, school) for (pool, future), school in handed]

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> SchoolProcesses[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
