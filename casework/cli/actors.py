"""Who is acting at the command line: `--as EMAIL` names a user who must exist and may act."""

from __future__ import annotations

from collections.abc import Callable

import typer
from sqlalchemy.engine import Engine

from casework.core.permissions import in_scope
from casework.service.users import get_user

CLI_ACTOR = "cli"


def resolve_actor(
    engine: Engine, as_email: str | None, urn: str, allowed: Callable[[str], bool], action: str
) -> str:
    """The actor recorded in the audit trail; exits 1 when the user may not do `action`."""
    if as_email is None:
        return CLI_ACTOR
    user = get_user(engine, as_email)
    if user is None or not user.active:
        typer.echo(f"error: no active user {as_email}", err=True)
        raise typer.Exit(1)
    if not allowed(user.role) or not in_scope(user.urn, urn):
        typer.echo(f"error: {as_email} ({user.role}) may not {action} here", err=True)
        raise typer.Exit(1)
    return user.email
