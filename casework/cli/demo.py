"""`pathway demo`: a fresh embedded LA, run through the real pipeline, summarised."""

from __future__ import annotations

import shutil
from typing import Annotated, Literal

import typer
from sqlalchemy.engine import Engine

from casework.cli.app import app, now, policy, settings
from casework.settings import Settings


def _fresh_var() -> None:
    """Start from nothing, but only ever wipe the embedded default under the var folder."""
    s = settings()
    if s.database_url:
        print(f"using the configured database ({s.effective_database_url.split('@')[-1]})")
        return
    for name in ("pathway.db", "pathway.db-wal", "pathway.db-shm"):
        (s.var_dir / name).unlink(missing_ok=True)
    for folder in ("outbox", "letters", "demo", "imports", "reports", "bundles"):
        shutil.rmtree(s.var_dir / folder, ignore_errors=True)


@app.command("demo")
def demo(
    inline: Annotated[
        bool, typer.Option("--inline", help="Run the sweeps in-process instead of via Prefect.")
    ] = False,
) -> None:
    """Seed a synthetic LA, import it, run the daily flow over five weeks, dispatch, summarise."""
    from casework.cli.demo_report import print_report
    from casework.db.database import open_database
    from casework.service.demo.legal_cases import run_legal_walkthrough
    from casework.service.demo.synthetic_la import DemoPlan, seed_and_import
    from casework.service.reports import build_weekly_reports
    from casework.service.sweeping.orchestration import run_simulate_orchestrated
    from casework.service.tasks.deadlines import run_deadlines

    _fresh_var()
    s, plan = settings(), DemoPlan()
    engine = open_database(s)
    print(f"seeding {plan.schools} schools, {plan.pupils} pupils, {plan.start} to {plan.end}")
    for result in seed_and_import(engine, s, plan, now()):
        print(
            f"  import {result.kind:<9} accepted {result.accepted:>6}  rejected {result.rejected}"
        )
    mode: Literal["inline", "prefect"] = "inline" if inline else "prefect"
    print(
        f"running the daily sweeps ({mode}: Prefect starts its own local server, 20-60 s)"
        if mode == "prefect"
        else "running the daily sweeps in-process"
    )
    results = run_simulate_orchestrated(s, engine, plan.start, plan.end, policy=policy(), mode=mode)
    print(
        f"  {sum(not r.skipped for r in results)} school sessions swept, "
        f"{sum(r.created for r in results)} actions recorded"
    )
    print("dispatching the outbox (file outbox: var/outbox/, letters: var/letters/)")
    _drain(engine, s)
    legal = run_legal_walkthrough(engine, policy(), s.var_dir, now())
    if legal is not None:
        print(
            f"legal walk-through for {legal.upn}: {legal.notices} penalty notice(s) issued and "
            f"left unpaid; prosecution decision {'approved' if legal.bundle else 'not reached'}; "
            f"evidence bundle: {legal.bundle or 'none'}"
        )
        _drain(engine, s)
    deadlines = run_deadlines(engine, plan.end, policy=policy(), now=now())
    print(f"deadlines on {plan.end}: {deadlines.overdue} overdue task(s) now in a manager's queue")
    print_report(engine, plan, policy(), s)
    reports = build_weekly_reports(engine, s, plan.end, policy())
    print(f"Reports (HTML and PDF): {len(reports)} in {s.reports_dir}/, e.g. {reports[0].pdf.name}")


def _drain(engine: Engine, s: Settings) -> None:
    """Dispatch until nothing more is due (letters become PDFs, messages go to var/outbox/)."""
    from notifications.dispatch import dispatch_due

    while dispatch_due(engine, s, now(), limit=500).claimed:
        pass
