"""The deadlines flow: overdue tasks, plan reviews due and penalty-notice payment windows.

Deadlines count school days, which a fixed-duration Prefect automation cannot (STACK.md §4), so
the work is `casework.service.tasks.deadlines.run_deadlines`, run early each school morning. It is
idempotent: a deadline already acted on is not acted on again.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task

from casework.service.tasks.deadlines import DeadlineResult, run_deadlines
from flows.retries import is_transient_db_error
from flows.runtime import open_runtime


@task(
    name="run-deadlines",
    retries=3,
    retry_delay_seconds=[5, 30, 120],
    retry_condition_fn=is_transient_db_error,
    persist_result=False,
)
def deadlines_task(on: date) -> DeadlineResult:
    """Act on every deadline that has passed by `on`; counts only."""
    runtime = open_runtime()
    return run_deadlines(runtime.engine, on, policy=runtime.policy, now=runtime.now())


@flow(name="deadlines", persist_result=False, log_prints=False)
def deadlines(on: str | None = None) -> DeadlineResult:
    """Act on the deadlines of school date `on` (ISO; default today in Europe/London)."""
    result = deadlines_task(open_runtime().school_date(on))
    get_run_logger().info("Deadlines: %s", result)
    return result
