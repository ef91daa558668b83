"""`pathway sar UPN --out DIR` and `pathway retention apply [--dry-run]` (DOMAIN.md Part 2 §15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from casework.cli.actors import CLI_ACTOR
from casework.cli.app import app, now, policy, settings, today
from casework.cli.help import PlainTyper
from casework.core.retention import RecordType
from casework.db.database import open_database
from casework.service.errors import ServiceError
from casework.service.retention import apply_retention
from casework.service.sar import export_sar


@app.command("sar")
def sar(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export into.")],
) -> None:
    """A subject-access export: everything held about the pupil and their contacts."""
    engine = open_database(settings())
    try:
        result = export_sar(
            engine,
            upn,
            out,
            letters_dir=settings().letters_dir,
            actor=CLI_ACTOR,
            on=today(),
            now=now(),
        )
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{result.files} files written; open {result.folder / 'index.html'}")


retention_app = PlainTyper(help="Retention periods from the policy file.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; remove nothing.")
    ] = False,
) -> None:
    """Remove records past their retention period; nothing under an open legal step."""
    engine = open_database(settings())
    report = apply_retention(
        engine,
        policy(),
        today=today(),
        now=now(),
        letters_dir=settings().letters_dir,
        tz=settings().tz,
        dry_run=dry_run,
    )
    verb = "would remove" if report.dry_run else "removed"
    for kind, count in report.counts.items():
        since = report.kept_from[RecordType(kind)]
        typer.echo(f"{kind:<9} {verb} {count:>7}  (kept from {since})")
    typer.echo(f"pupils under an open legal step, untouched: {report.protected_pupils}")
