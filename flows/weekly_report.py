"""The weekly report flow: every school's governors' report and the LA report, as HTML and PDF.

One task for the whole LA: report building loads each school once and renders a few PDFs, so
fanning out per school would cost more in Prefect task runs than it saves.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task

from casework.service.reports import build_weekly_reports
from flows.retries import is_transient_db_error
from flows.runtime import open_runtime


@task(
    name="build-weekly-reports",
    retries=2,
    retry_delay_seconds=[30, 120],
    retry_condition_fn=is_transient_db_error,
    persist_result=False,
)
def weekly_reports_task(on: date) -> list[str]:
    """Build the reports as of `on`; returns the PDF file names (no personal data)."""
    runtime = open_runtime()
    files = build_weekly_reports(runtime.engine, runtime.settings, on, runtime.policy)
    return [report.pdf.name for report in files]


@flow(name="weekly-report", persist_result=False, log_prints=False)
def weekly_report(on: str | None = None) -> list[str]:
    """Governors' and LA reports for the academic year to `on` (ISO; default today)."""
    names = weekly_reports_task(open_runtime().school_date(on))
    get_run_logger().info("Weekly reports written: %d", len(names))
    return names
