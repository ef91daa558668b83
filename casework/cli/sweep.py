"""`pathway sweep` and `pathway simulate`: run the daily flow for a session, or for a range."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from typing import Annotated

import typer

from casework.cli.app import app, now, policy, settings, today
from casework.cli.progress import StderrProgress
from casework.cli.types import DATE_METAVAR, parse_day_time
from casework.core.calendar import RegisterSession
from casework.db.audit_anchor import anchor_head
from casework.db.database import open_database
from casework.service.sweeping.orchestration import (
    run_simulate_orchestrated,
    run_sweep_orchestrated,
)
from casework.service.sweeping.sweep import SchoolSweepResult

_MIDDAY = time(12, 0)


def _sessions_for(day: date, session: RegisterSession | None) -> list[RegisterSession]:
    """The named session; else both for a past day, and today only what has closed by now."""
    if session is not None:
        return [session]
    now = datetime.now(settings().tz)
    if day < now.date() or now.time() >= _MIDDAY:
        return [RegisterSession.AM, RegisterSession.PM]
    return [RegisterSession.AM]


def print_summary(results: list[SchoolSweepResult]) -> None:
    swept = [r for r in results if not r.skipped]
    created = sum(r.created for r in swept)
    skipped = len(results) - len(swept)
    print(f"school sessions swept: {len(swept)}, skipped (already swept or closed): {skipped}")
    print(f"actions recorded: {created}")


@app.command("sweep")
def sweep(
    on: Annotated[
        datetime | None,
        typer.Option("--date", parser=parse_day_time, metavar=DATE_METAVAR, help="School date."),
    ] = None,
    session: Annotated[
        RegisterSession | None, typer.Option("--session", help="AM or PM (default: both closed).")
    ] = None,
) -> None:
    """Run the daily flow for one session of one date (default: now, Europe/London)."""
    day = on.date() if on else today()
    engine = open_database(settings())
    results: list[SchoolSweepResult] = []
    for register_session in _sessions_for(day, session):
        results += run_sweep_orchestrated(
            settings(), engine, day, register_session, policy=policy(), now=now()
        )
    anchor_head(engine)  # sweep workers in other processes may have had no anchor to write
    print_summary(results)


@app.command("simulate")
def simulate(
    start: Annotated[
        datetime,
        typer.Option("--from", parser=parse_day_time, metavar=DATE_METAVAR, help="First date."),
    ],
    end: Annotated[
        datetime,
        typer.Option("--to", parser=parse_day_time, metavar=DATE_METAVAR, help="Last date."),
    ],
) -> None:
    """Run the AM and PM sweeps of every school day in the range, in order, as if each were now."""
    if end < start:
        raise typer.BadParameter("--to is before --from")
    engine = open_database(settings())
    with StderrProgress() as progress:  # a bar on a terminal only: stdout is the summary
        results = run_simulate_orchestrated(
            settings(), engine, start.date(), end.date(), policy=policy(), progress=progress
        )
    anchor_head(engine)
    print_summary(results)
    by_stage = Counter(r.urn for r in results if r.created)
    print(f"schools with new actions: {len(by_stage)}")
