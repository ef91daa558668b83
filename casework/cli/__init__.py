"""The `pathway` command line: thin commands that parse, call a service, and print."""

from __future__ import annotations

import sys

import sqlalchemy as sa

from casework.cli import (  # noqa: F401  (each module registers its commands on `app`)
    audit,
    case,
    ctf,
    decide,
    demo,
    dispatch,
    imports,
    leave,
    privacy,
    report,
    seed,
    serve,
    sweep,
    tasks,
    users,
)
from casework.cli.app import app
from casework.cli.ctf import export_app
from casework.cli.tasks import tasks_app
from casework.db.database import DatabaseUnavailable

app.add_typer(tasks_app, name="tasks")
app.add_typer(export_app, name="export")


def main() -> None:
    """Run a command; a database that cannot be opened is one line on stderr, not a traceback."""
    try:
        app()
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except sa.exc.OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        print(f"error: the database stopped answering: {first}", file=sys.stderr)
        sys.exit(2)
