"""`pathway users` commands: accounts for the web app and for `--as`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from casework.cli.actors import CLI_ACTOR
from casework.cli.app import app, settings
from casework.cli.help import PlainTyper
from casework.core.permissions import ROLE_TITLES, Role
from casework.db.database import open_database
from casework.service.accounts import (
    AccountView,
    account_views,
    disable_user,
    enable_user,
    set_password,
    set_role,
)
from casework.service.errors import ServiceError
from casework.service.login_throttle import clear_lockout
from casework.service.users import add_user

users_app = PlainTyper(
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
    """List accounts: email, role, school, and whether disabled."""
    engine = open_database(settings())
    accounts = account_views(engine)
    if not accounts:
        typer.echo("No accounts yet: add one with `pathway users add EMAIL --role ROLE`.")
        return
    for user in accounts:
        state = "" if user.active else "  (disabled)"
        typer.echo(f"{user.email}\t{user.role}\t{user.urn or 'LA'}{state}")


def _apply(change: Callable[[Engine], AccountView], done: str) -> None:
    engine = open_database(settings())
    try:
        account = change(engine)
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{done} {account.email}: every session of the account has ended")


EmailArg = Annotated[str, typer.Argument(help="The account's email address.")]


@users_app.command("disable")
def disable(email: EmailArg) -> None:
    """Refuse the account new sign-ins and end its sessions now."""
    _apply(lambda engine: disable_user(engine, email, CLI_ACTOR, datetime.now(UTC)), "disabled")


@users_app.command("enable")
def enable(email: EmailArg) -> None:
    """Let a disabled account sign in again."""
    _apply(lambda engine: enable_user(engine, email, CLI_ACTOR, datetime.now(UTC)), "enabled")


@users_app.command("passwd")
def passwd(
    email: EmailArg,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Set a new password (ends the account's sessions)."""
    password = _read_password(password_stdin)
    _apply(
        lambda engine: set_password(engine, email, password, CLI_ACTOR, datetime.now(UTC)),
        "new password for",
    )


@users_app.command("role")
def role(
    email: EmailArg,
    new_role: Annotated[str, typer.Option("--role", help=f"One of: {ROLE_NAMES}.")],
    school: Annotated[
        str | None,
        typer.Option("--school", help="URN of the user's school (required for school roles)."),
    ] = None,
) -> None:
    """Give the account another role (and school); ends its sessions."""
    _apply(
        lambda engine: set_role(engine, email, new_role, school, CLI_ACTOR, datetime.now(UTC)),
        f"role {new_role} for",
    )


@users_app.command("unlock")
def unlock(email: EmailArg) -> None:
    """Lift the account's sign-in lockout (its recent failed attempts); an audit entry."""
    engine = open_database(settings())
    cleared = clear_lockout(engine, email, CLI_ACTOR, datetime.now(UTC))
    typer.echo(f"cleared {cleared} failed sign-in(s) for {email.strip().lower()}")
