"""The Typer application object and the settings every command reads (built once per process)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from casework.cli.help import PlainTyper
from casework.core.policy import Policy, load_policy
from casework.settings import Settings

app = PlainTyper(
    name="pathway",
    help="Attendance Pathway: graduated attendance support for schools and local authorities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help (casework.cli.help): each value by its real type (TEXT, INTEGER, YYYY-MM-DD,
    # its choices), flags bare.
    rich_markup_mode=None,
)

_settings: Settings | None = None


@app.callback()
def _global_options(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="App database URL (env PATHWAY_DATABASE_URL)."),
    ] = None,
) -> None:
    global _settings
    if database_url:
        os.environ["PATHWAY_DATABASE_URL"] = database_url
    _settings = None


def settings() -> Settings:
    """The settings for this process, built on first use."""
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def policy() -> Policy:
    """The LA's policy file (PATHWAY_POLICY_FILE), or the shipped default."""
    return load_policy(settings().policy_file)


def now() -> datetime:
    """The real time of recording, for audit entries (never the simulated school date)."""
    return datetime.now(UTC)


def today() -> date:
    """Today's school date in Europe/London, or PATHWAY_AS_OF when set: the default for `--on`
    and `--date`."""
    return settings().as_of or datetime.now(settings().tz).date()
