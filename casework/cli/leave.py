"""`pathway leave request|list`: a parent's application for leave of absence (DOMAIN rule 32).

`pathway decide ... --kind leave_of_absence` (or `deletion_ground_i`) calls
`decide_headteacher_decision`: no legal-step factors are asked for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from sqlmodel import Session, col, select

from casework.cli.actors import resolve_actor
from casework.cli.app import app, now, policy, settings, today
from casework.cli.help import PlainTyper
from casework.core.ladder.stages import Stage
from casework.core.permissions import Role, may_work_tasks
from casework.db.database import open_database
from casework.db.tables import Decision, LeaveApplication, Pupil
from casework.service.errors import ServiceError
from casework.service.leave.applications import LeaveRequest, request_leave
from casework.service.leave.decisions import decide_leave
from casework.service.leave.deletion import decide_deletion

leave_app = PlainTyper(help="Leave of absence: record a parent's application, list them.")
app.add_typer(leave_app, name="leave")

On = Annotated[
    datetime | None,
    typer.Option("--on", formats=["%Y-%m-%d"], help="School date it is recorded (default today)."),
]
As = Annotated[str | None, typer.Option("--as", help="The user acting (default: cli).")]


@leave_app.command("request")
def request_command(
    upn: Annotated[str, typer.Option("--upn", help="Pupil UPN.")],
    start: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")],
    end: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")],
    reason: Annotated[str, typer.Option("--reason", help="The reason the parent gave.")],
    on: On = None,
    applicant: Annotated[
        str | None,
        typer.Option("--applicant", help="Contact id of the parent applying (default: first)."),
    ] = None,
    as_: As = None,
) -> None:
    """Record an application for leave; it becomes a decision for the headteacher."""
    engine = open_database(settings())
    pupil_upn = upn.strip().upper()
    request = LeaveRequest(
        pupil_upn, start.date(), end.date(), reason, on.date() if on else today(), applicant
    )
    try:
        with Session(engine) as db:
            pupil = db.get(Pupil, pupil_upn)
        urn = pupil.urn if pupil else ""
        actor = resolve_actor(engine, as_, urn, may_work_tasks, "record leave applications")
        recorded = request_leave(engine, request, actor=actor, now=now())
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    note = "" if recorded.in_advance else " (not made in advance: it can only be declined)"
    print(
        f"leave application {recorded.application_id} recorded: {recorded.school_days} school "
        f"day(s); decision {recorded.decision_id} waits for the headteacher{note}"
    )


@leave_app.command("list")
def list_command(upn: Annotated[str | None, typer.Option("--upn")] = None) -> None:
    """Leave applications with their dates and status."""
    engine = open_database(settings())
    query = select(LeaveApplication).order_by(col(LeaveApplication.start_date))
    if upn:
        query = query.where(LeaveApplication.upn == upn.strip().upper())
    with Session(engine) as db:
        rows = db.exec(query).all()
    for a in rows:
        print(
            f"{a.id}  {a.upn}  {a.start_date} to {a.end_date}  {a.status:<9} "
            f"recorded {a.recorded_date}{'' if a.in_advance else ' (not in advance)'}"
        )
    print(f"{len(rows)} application(s)")


def decide_headteacher_decision(
    decision: Decision, *, approve: bool, reason: str, day: date, as_email: str | None
) -> None:
    """`pathway decide` on leave or a Ground I deletion: the school's headteacher decides."""
    engine = open_database(settings())
    actor = resolve_actor(
        engine, as_email, decision.urn, lambda role: role == Role.HEADTEACHER.value, "decide this"
    )
    if decision.stage == Stage.DELETION_GROUND_I.value:
        deleted = decide_deletion(
            engine,
            decision.id or 0,
            approve=approve,
            reason=reason,
            actor=actor,
            on=day,
            now=now(),
            policy=policy(),
        )
        verb = (
            f"approved: deletion return sent to the LA, {deleted.stages_closed} stage(s) closed"
            if approve
            else "declined: the pupil stays on roll"
        )
        print(f"decision {deleted.decision_id} (deletion_ground_i) {verb}")
        return
    outcome = decide_leave(
        engine,
        decision.id or 0,
        approve=approve,
        reason=reason,
        actor=actor,
        on=day,
        now=now(),
        policy=policy(),
    )
    verb = "granted: the days are expected as C" if approve else "refused"
    letters = f"; {outcome.letters} refusal letter(s) queued" if not approve else ""
    print(f"decision {outcome.decision_id} (leave_of_absence) {verb}{letters}")
