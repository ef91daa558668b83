"""The daily sweep flow: after a register closes, one task for each school open that session.

The rules and the transaction live in `casework.service.sweeping.sweep.sweep_school`; this file
only fans out. One task per school (never per pupil) keeps a 100,000-pupil LA at about a
hundred task runs (STACK.md §3). The tasks run on threads; for an LA of many schools each hands
its school to one of the run's worker processes, so the sweep has every core and not one. Each
school's sweep is one idempotent transaction, so a retried or repeated task creates nothing
twice. Sending goes through the outbox, after commit: the scheduled sweeps (`then_send`) send
each school's texts and emails as soon as that school has committed, while the others are still
being swept, so the morning's texts are not held behind the last school.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from prefect import flow, get_run_logger, task, unmapped
from prefect.futures import wait
from prefect.task_runners import ThreadPoolTaskRunner

from casework.core.calendar import RegisterSession
from casework.service.sweeping.processes import SchoolProcesses, worker_count
from casework.service.sweeping.sweep import SchoolSweepResult, schools_to_sweep, sweep_school
from flows.retries import is_transient_db_error
from flows.runtime import Runtime, open_runtime
from flows.sending import ChildSender, SendingStopped

# The tasks run on threads, each handing its school to the run's worker processes
# (`PATHWAY_SWEEP_WORKERS`) when it has them: on threads alone the schools shared one core, and at
# 100,000 pupils the AM sweep took 31-35 s where two processes take about 16 s (ADR 0012).
# Eight threads, not four: with four, the flow's process sat at 61% of a core, waiting on round
# trips.
SCHOOLS_AT_ONCE = 8

# The run's worker processes, seen by its task threads (Prefect runs each task in a copy of the
# context it was submitted from).
_school_processes: ContextVar[SchoolProcesses[SchoolSweepResult] | None] = ContextVar(
    "pathway_school_processes", default=None
)


@task(
    name="schools-to-sweep",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=is_transient_db_error,
    persist_result=False,
)
def schools_open_task(school_date: date, session: RegisterSession) -> list[str]:
    """URNs of the schools open for this session."""
    return schools_to_sweep(open_runtime().engine, school_date, session)


@task(
    name="sweep-school",
    task_run_name="sweep-{urn}-{school_date}-{session}",
    retries=3,
    retry_delay_seconds=[5, 30, 120],
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient_db_error,
    persist_result=False,
)
def sweep_school_task(
    urn: str, school_date: date, session: RegisterSession, now: datetime
) -> SchoolSweepResult:
    """One school's sweep in one transaction; counts only, never pupil data."""
    runtime = open_runtime()
    processes = _school_processes.get()
    if processes is not None:
        return processes.sweep(urn, school_date, session, policy=runtime.policy, now=now)
    return sweep_school(runtime.engine, urn, school_date, session, policy=runtime.policy, now=now)


@contextmanager
def _worker_processes(runtime: Runtime, schools: int) -> Iterator[None]:
    """The run's school processes, for as long as its tasks run, when it is to have them."""
    count = worker_count(runtime.engine, runtime.settings.sweep_workers, schools)
    if count <= 1:
        yield
        return
    with SchoolProcesses(runtime.engine, count, sweep_school) as processes:
        token = _school_processes.set(processes)
        try:
            yield
        finally:
            _school_processes.reset(token)


@flow(
    name="daily-sweep",
    # Prefect types `task_runner` invariantly, so its own ThreadPoolTaskRunner does not match.
    task_runner=ThreadPoolTaskRunner(max_workers=SCHOOLS_AT_ONCE),  # type: ignore[arg-type]
    persist_result=False,
    log_prints=False,
)
def daily_sweep(
    school_date: str | None = None,
    session: str = "AM",
    urns: list[str] | None = None,
    then_send: bool = False,
) -> list[SchoolSweepResult]:
    """Sweep one register session: the schools open that session (or those of `urns`) in parallel.

    Args:
        school_date: ISO date; default today in Europe/London.
        session: "AM" or "PM".
        urns: only these schools (each still only if open that session).
        then_send: send the texts and emails due as the schools commit, while the rest are
            swept, and until the last school's are out (`flows.sending`): first-day texts
            leave within the minute instead of at the next 5-minute dispatch run, without a
            second flow run's start-up. Letters are left to the dispatch runs.
    """
    runtime = open_runtime()
    day, register, now = runtime.school_date(school_date), RegisterSession(session), runtime.now()
    schools = [u for u in schools_open_task(day, register) if urns is None or u in urns]
    if not schools:
        get_run_logger().info("No school open on %s %s; nothing to sweep", day, register)
        return []
    with _worker_processes(runtime, len(schools)):
        futures = sweep_school_task.map(schools, unmapped(day), unmapped(register), unmapped(now))
        # What the schools that committed queued is sent even if another school fails.
        sender = ChildSender(futures, runtime.settings, runtime.fixed_now) if then_send else None
        wait(futures)  # every school finishes (and commits) before any failure is raised
    stopped: SendingStopped | None = None
    if sender is not None:
        try:
            get_run_logger().info("Sent while sweeping: %s", sender.summary())
        except SendingStopped as exc:  # a school's own failure, if any, is the one to raise
            stopped = exc
    results = futures.result()
    if stopped is not None:
        raise stopped
    get_run_logger().info(
        "Swept %d schools for %s %s: %d created",
        len(results),
        day,
        register,
        sum(r.created for r in results),
    )
    return results
