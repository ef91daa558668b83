"""`pathway import marks FILE --profile PROFILE`: the CLI side of a profiled marks import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from casework.cli.app import settings
from casework.cli.progress import StderrProgress
from casework.db.database import open_database
from casework.service.importing.files import ImportResult
from casework.service.importing.profiled import import_profiled_marks


def run_profiled_marks(kind: str, file: Path, profile: str) -> ImportResult:
    """Import `file` through the profile; --profile belongs to marks alone."""
    if kind != "marks":
        typer.echo("error: --profile applies to marks files only", err=True)
        raise typer.Exit(2)
    config = settings()
    with StderrProgress() as progress:  # a bar on a terminal only: stdout is the summary
        return import_profiled_marks(
            open_database(config),
            file,
            profile,
            reports_dir=config.import_reports_dir,
            tz=config.tz,
            now=datetime.now(UTC),
            progress=progress,
        )
