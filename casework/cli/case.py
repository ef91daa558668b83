"""`pathway case UPN`: one pupil's case on screen (the read is logged)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from casework.cli.app import app, now, policy, settings, today
from casework.cli.types import DATE_METAVAR, parse_day_time
from casework.core.labels import audit_label, channel_label, stage_label, status_label, task_label
from casework.core.wording import day_label
from casework.db.database import open_database
from casework.service.cases import CaseSummary, case_summary
from casework.service.errors import ServiceError


def _print(summary: CaseSummary) -> None:
    record = summary.record
    p = record.pupil
    school = record.school.name if record.school else p.urn
    print(f"{p.forename} {p.surname}  UPN {p.upn}  {school}  year {p.year_group}")
    print(f"as of {day_label(record.on)}")
    print(f"needs and circumstances: {', '.join(record.needs) or 'none recorded'}")
    m = record.measures
    if m is not None and m.possible:
        print(
            f"attendance {m.attendance_percent:.1f}% ({m.attended}/{m.possible} sessions), "
            f"authorised {m.authorised}, unauthorised {m.unauthorised}, late {m.late}; "
            f"band: {summary.band or 'none'}"
        )
    else:
        print("attendance: no possible sessions yet this year")
    print("contacts:")
    for c in record.contacts:
        pr = "PR" if c.parental_responsibility else "no PR"
        prefers = channel_label(c.preferred_channel).lower()
        print(f"  {c.priority}. {c.name} ({c.relationship}, {pr}) prefers {prefers}")
    print("stages:")
    for s in record.stages:
        closed = f" closed {day_label(s.closed_date)} ({s.close_reason})" if s.closed_date else ""
        print(
            f"  {stage_label(s.stage):<36} {s.status:<7} from {day_label(s.entered_date)}{closed}"
        )
    print("open tasks:")
    for t in record.open_tasks:
        title = task_label(t.kind)
        print(f"  #{t.id} {title:<46} {status_label(t.status):<12} due {day_label(t.due_date)}")
    print("chronology:")
    for e in reversed(record.audit):
        # A date's own __format__ is strftime, so "{d:<10}" printed a literal "<10": pad the text.
        when = day_label(e.school_date)
        print(f"  {when:<15} {audit_label(e.kind):<32} {stage_label(e.stage):<36} {e.actor}")


@app.command("case")
def case(
    upn: Annotated[str, typer.Argument(metavar="UPN", help="The pupil's UPN.")],
    on: Annotated[
        datetime | None,
        typer.Option("--on", parser=parse_day_time, metavar=DATE_METAVAR, help="As of this date."),
    ] = None,
) -> None:
    """A pupil's case: stage, measures, open tasks, chronology."""
    engine = open_database(settings())
    try:
        summary = case_summary(
            engine,
            upn.strip().upper(),
            on=on.date() if on else today(),
            policy=policy(),
            actor="cli",
            now=now(),
        )
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _print(summary)
