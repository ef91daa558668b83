"""The `pathway` command line: thin commands that parse, call a service, and print."""

from __future__ import annotations

from casework.cli import (  # noqa: F401  (each module registers its commands on `app`)
    audit,
    case,
    decide,
    demo,
    imports,
    leave,
    report,
    seed,
    serve,
    sweep,
    tasks,
    users,
)
from casework.cli.app import app
from casework.cli.tasks import tasks_app

app.add_typer(tasks_app, name="tasks")


def main() -> None:
    app()
