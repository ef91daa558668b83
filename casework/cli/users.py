"""`pathway users` commands: accounts for the web app and for `--as`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from casework.cli.app import app, settings
from casework.core.permissions import ROLE_TITLES, Role
from casework.db.database import open_database
from casework.service.errors import ServiceError
from casework.service.users import add_user, list_users

users_app = typer.Typer(
    help="Accounts for the web app and for --as.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(users_app, name="users")

ROLE_NAMES = ", ".join(role.value for role in Role)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: the password itself, without its line ending.
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The person's work email address.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLE_NAMES}.")],
    school: Annotated[
        str | None,
        typer.Option("--school", help="URN of the user's school (required for school roles)."),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help="The person's name, shown on tasks and decisions.")
    ] = "",
) -> None:
    """Add an account. Without --password-stdin the password is asked for, hidden."""
    password = _read_password(password_stdin)
    engine = open_database(settings())
    try:
        user = add_user(engine, email, role, school, password, datetime.now(UTC), full_name=name)
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    where = f"school {user.urn}" if user.urn else "whole LA"
    who = f"{user.full_name} <{user.email}>" if user.full_name else user.email
    typer.echo(f"added {who}: {ROLE_TITLES[Role(user.role)]} ({where})")


@users_app.command("list")
def list_() -> None:
    """List accounts: email, role, school."""
    engine = open_database(settings())
    users = list_users(engine)
    if not users:
        typer.echo("no accounts yet: add one with `pathway users add EMAIL --role ROLE`")
    for user in users:
        state = "" if user.active else "  (disabled)"
        name = f"\t{user.full_name}" if user.full_name else ""
        typer.echo(f"{user.email}\t{user.role}\t{user.urn or 'LA'}{state}{name}")
