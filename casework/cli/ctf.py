"""`pathway import ctf FILE.xml` and `pathway export ctf --upn UPN [--out FILE]`.

The import prints one line per kind (pupils, contacts, marks) in the CSV imports' words, the
rejected rows by the pupil's position in the file, and any notes (totals that disagree with the
marks); exit code 1 when the file is refused or anything was rejected.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from casework.cli.app import settings
from casework.cli.help import PlainTyper
from casework.cli.progress import StderrProgress
from casework.db.database import open_database
from casework.service.errors import NotFound
from casework.service.importing.ctf import CtfImportResult, import_ctf
from casework.service.importing.ctf_export import export_ctf

export_app = PlainTyper(help="Export records in a standard format.", no_args_is_help=True)

SHOWN = 20


def run_ctf_import(file: Path) -> None:
    """Import one CTF and print what happened; exits 1 on refusal or any rejected row."""
    config = settings()
    with StderrProgress() as progress:  # a bar on a terminal only: stdout is the summary
        result = import_ctf(
            open_database(config),
            file,
            reports_dir=config.import_reports_dir,
            tz=config.tz,
            now=datetime.now(UTC),
            progress=progress,
        )
    if result.refused is not None:
        typer.echo(f"{file}: refused, nothing imported: {result.refused}", err=True)
        raise typer.Exit(1)
    _print(result)
    if result.rejected:
        raise typer.Exit(1)


def _print(result: CtfImportResult) -> None:
    for part in result.parts:
        typer.echo(
            f"{part.kind}: {part.accepted} accepted, {part.rejected} rejected, "
            f"{part.unchanged} unchanged"
        )
        for error in part.errors[:SHOWN]:
            typer.echo(f"  pupil {error.row_no}: {error.reason}")
        if part.rejected > SHOWN:
            typer.echo(f"  ... and {part.rejected - SHOWN} more")
        if part.report_path is not None:
            typer.echo(f"report: {part.report_path}")
    if result.notes:
        typer.echo(f"notes: {len(result.notes)} (marks imported as the file gives them)")
        for note in result.notes[:SHOWN]:
            typer.echo(f"  {note}")
        typer.echo(f"notes report: {result.notes_path}")


@export_app.command("ctf")
def export_ctf_command(
    upn: Annotated[str, typer.Option("--upn", help="The pupil's UPN.")],
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="Write here, not to stdout.")
    ] = None,
) -> None:
    """A pupil's details, contacts and attendance as a DfE common transfer file."""
    config = settings()
    try:
        data = export_ctf(open_database(config), upn, datetime.now(config.tz))
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if out is None:
        sys.stdout.buffer.write(data)
        return
    out.write_bytes(data)
    typer.echo(f"{out}: CTF for pupil {upn}")
