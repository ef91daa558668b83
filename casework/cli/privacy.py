"""`pathway sar UPN --out DIR` and `pathway retention apply [--dry-run]` (DOMAIN.md Part 2 §15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from casework.cli.actors import CLI_ACTOR
from casework.cli.app import app, now, settings, today
from casework.db.database import open_database
from casework.service.errors import ServiceError
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
