"""`pathway import KIND FILE`: load one of the five CSV kinds, print what was accepted and rejected.

Exit code 1 when the file is refused (a missing column, not UTF-8) or any row is rejected; the
rejected rows are in the quarantine table and in the report whose path is printed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from casework.cli.app import app, settings
from casework.cli.ctf import run_ctf_import
from casework.cli.marks_profile import run_profiled_marks
from casework.cli.progress import StderrProgress
from casework.db.database import open_database
from casework.service.importing.files import ImportResult, import_file


class ImportKind(StrEnum):
    """The KIND argument; the same names as `casework.service.importing.files.KINDS`."""

    SCHOOLS = "schools"
    CALENDAR = "calendar"
    PUPILS = "pupils"
    CONTACTS = "contacts"
    MARKS = "marks"
    CTF = "ctf"  # a DfE common transfer file: pupils, contacts and marks (casework.cli.ctf)


SHOWN_ERRORS = 20


def _print_result(result: ImportResult) -> None:
    typer.echo(
        f"{result.kind}: {result.accepted} accepted, {result.rejected} rejected, "
        f"{result.unchanged} unchanged"
    )
    for error in result.errors[:SHOWN_ERRORS]:
        typer.echo(f"  row {error.row_no}: {error.reason}")
    if result.rejected > SHOWN_ERRORS:
        typer.echo(f"  ... and {result.rejected - SHOWN_ERRORS} more")
    if result.report_path is not None:
        typer.echo(f"report: {result.report_path}")


@app.command("import")
def import_(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV (or CTF) file."),
    ],
    profile: Annotated[
        str | None,
        typer.Option(help="marks only: a mapping profile (TOML path or shipped name)."),
    ] = None,
) -> None:
    """Import a CSV file (DESIGN.md formats) or a CTF; rejected rows are quarantined."""
    if kind is ImportKind.CTF:
        run_ctf_import(file)
        return
    config = settings()
    if profile is not None:
        result = run_profiled_marks(kind.value, file, profile)
    else:
        with StderrProgress() as progress:  # a bar on a terminal only: stdout is the summary
            result = import_file(
                open_database(config),
                kind.value,
                file,
                reports_dir=config.import_reports_dir,
                tz=config.tz,
                now=datetime.now(UTC),
                progress=progress,
            )
    if result.header_error is not None:
        typer.echo(f"{file}: refused, nothing imported: {result.header_error}", err=True)
        raise typer.Exit(1)
    _print_result(result)
    if result.rejected:
        raise typer.Exit(1)
