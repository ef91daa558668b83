"""The simulate flow: every school day's AM sweep, PM sweep and deadlines run over a date range,
in one flow run.

One flow run and one task for the whole range, never a run per day: a year is about 380 sweeps
per school, and the per-run cost of Prefect (STACK.md §3.1) would dwarf the work. The ordering and
the "as if at register close" clock are `casework.service.sweeping.sweep.simulate`'s.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task

from casework.service.sweeping.sweep import SchoolSweepResult
from casework.service.sweeping.sweep import simulate as simulate_school_days
from flows.runtime import open_runtime


@task(name="simulate-range", persist_result=False)
def simulate_task(start: date, end: date) -> list[SchoolSweepResult]:
    """Sweep each school day from start to end, in order, then run its deadlines; counts only."""
    runtime = open_runtime()
    return simulate_school_days(
        runtime.engine, start, end, policy=runtime.policy, now=runtime.now(),
        progress=runtime.progress,
    )  # fmt: skip


@flow(name="simulate", persist_result=False, log_prints=False)
def simulate(start: str, end: str) -> list[SchoolSweepResult]:
    """Replay the school days from `start` to `end` (ISO dates, inclusive): sweeps, deadlines."""
    results = simulate_task(date.fromisoformat(start), date.fromisoformat(end))
    get_run_logger().info("Simulated %s to %s: %d school sessions swept", start, end, len(results))
    return results
