"""`pathway tasks list|ack|complete|assign`: the caseworker's queue from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.cli.actors import resolve_actor
from casework.cli.app import now, policy, settings, today
from casework.cli.help import PlainTyper
from casework.cli.types import DATE_METAVAR, KIND_CHOICES, outcomes_help, parse_day_time
from casework.core.ladder.proposals import TaskKind
from casework.core.permissions import may_complete_task, may_work_tasks, task_action
from casework.db.database import open_database
from casework.db.tables import Task
from casework.service.errors import ServiceError
from casework.service.tasks.actions import (
    acknowledge_task,
    assign_task,
    complete_task,
    find_open_task,
    list_tasks,
)

tasks_app = PlainTyper(
    help="Caseworker tasks: list, acknowledge, complete, assign.", rich_markup_mode=None
)

TaskId = Annotated[
    int | None, typer.Argument(metavar="TASK_ID", help="Task id (or use --upn and --kind).")
]
Upn = Annotated[str | None, typer.Option("--upn", metavar="UPN", help="Pupil UPN (with --kind).")]
Kind = Annotated[
    TaskKind | None,
    typer.Option("--kind", metavar="KIND", help=f"Task kind, one of: {KIND_CHOICES}."),
]
On = Annotated[
    datetime | None,
    typer.Option(
        "--on", parser=parse_day_time, metavar=DATE_METAVAR, help="School date it takes effect."
    ),
]
As = Annotated[
    str | None, typer.Option("--as", metavar="EMAIL", help="The user acting (default: cli).")
]


def _task(engine: Engine, task_id: int | None, upn: str | None, kind: str | None) -> Task:
    if task_id is None:
        if not (upn and kind):
            raise ServiceError("name a task by its id, or by --upn and --kind")
        task_id = find_open_task(engine, upn, kind)
    with Session(engine) as db:
        task = db.get(Task, task_id)
    if task is None:
        raise ServiceError(f"no task {task_id}")
    return task


def _act(
    task_id: int | None,
    upn: str | None,
    kind: str | None,
    as_: str | None,
    action: Callable[[Engine, int, str], str],
    completing: bool = False,
) -> None:
    """Find the task, check who acts, run `action(engine, task_id, actor)`, print its message.

    Completing checks the role-permission table for the task's kind (a notice's payment is the
    LA's unless the policy widens it); other actions need only ordinary casework."""
    engine = open_database(settings())
    try:
        task = _task(engine, task_id, upn, kind)
        widened = policy().permissions.widened(task_action(task.kind))

        def allowed(role: str) -> bool:
            if completing:
                return may_complete_task(role, task.kind, widened)
            return may_work_tasks(role)

        what = "record this" if completing else "work on tasks"
        actor = resolve_actor(engine, as_, task.urn, allowed, what)
        assert task.id is not None
        print(action(engine, task.id, actor))
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@tasks_app.command("list")
def list_command(
    school: Annotated[str | None, typer.Option("--school", help="School URN.")] = None,
    upn: Upn = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include completed tasks.")] = False,
) -> None:
    """Open tasks in queue order (severe absence first, then overdue, then due date)."""
    engine = open_database(settings())
    rows = list_tasks(engine, urn=school, upn=upn, open_only=not show_all)
    print(f"{'id':>6}  {'kind':<24} {'status':<12} {'due':<10}  {'upn':<13}  owner")
    for t in rows:
        owner = t.owner_email or t.owner_role
        print(f"{t.id:>6}  {t.kind:<24} {t.status:<12} {t.due_date}  {t.upn or '-':<13}  {owner}")
    print(f"{len(rows)} task(s)")


@tasks_app.command("ack")
def ack_command(
    task_id: TaskId = None, upn: Upn = None, kind: Kind = None, on: On = None, as_: As = None
) -> None:
    """Acknowledge a task."""

    def ack(engine: Engine, task: int, actor: str) -> str:
        acknowledge_task(engine, task, actor=actor, on=_day(on), now=now())
        return f"task {task} acknowledged"

    _act(task_id, upn, kind, as_, ack)


@tasks_app.command("complete", epilog=outcomes_help())
def complete_command(
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome", metavar="OUTCOME", help="The outcome; the valid ones for each kind follow."
        ),
    ],
    task_id: TaskId = None,
    upn: Upn = None,
    kind: Kind = None,
    note: Annotated[
        str, typer.Option("--note", metavar="TEXT", help="A note for the record.")
    ] = "",
    on: On = None,
    as_: As = None,
) -> None:
    """Complete a task with its outcome; what the outcome sets going happens at once."""

    def complete(engine: Engine, task: int, actor: str) -> str:
        complete_task(
            engine,
            task,
            outcome=outcome,
            actor=actor,
            on=_day(on),
            now=now(),
            note=note,
            policy=policy(),
            var_dir=settings().var_dir,
        )
        return f"task {task} completed: {outcome}"

    _act(task_id, upn, kind, as_, complete, completing=True)


@tasks_app.command("assign")
def assign_command(
    to: Annotated[str, typer.Option("--to", help="Email of the person taking it.")],
    task_id: TaskId = None,
    upn: Upn = None,
    kind: Kind = None,
    as_: As = None,
) -> None:
    """Give a task to a named person."""

    def assign(engine: Engine, task: int, actor: str) -> str:
        assign_task(engine, task, owner_email=to, actor=actor, now=now())
        return f"task {task} assigned to {to}"

    _act(task_id, upn, kind, as_, assign)


def _day(on: datetime | None) -> date:
    return on.date() if on else today()
