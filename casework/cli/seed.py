"""`pathway seed`: write a deterministic synthetic LA as the five import CSVs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from casework.cli.app import app
from casework.cli.types import DATE_METAVAR, parse_day
from casework.seed import write_synthetic_la
from casework.seed.ctf import write_school_ctfs


@app.command("seed")
def seed(
    start: Annotated[
        date,
        typer.Option(
            "--from",
            parser=parse_day,
            metavar=DATE_METAVAR,
            help="First day of marks (YYYY-MM-DD).",
        ),
    ],
    end: Annotated[
        date,
        typer.Option(
            "--to", parser=parse_day, metavar=DATE_METAVAR, help="Last day of marks (YYYY-MM-DD)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for the CSVs.")],
    schools: Annotated[int, typer.Option("--schools", min=1, help="How many schools.")] = 2,
    pupils: Annotated[int, typer.Option("--pupils", min=0, help="How many pupils.")] = 300,
    seed_value: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 1,
) -> None:
    """Write schools, calendar, pupils, contacts and marks CSVs for a synthetic LA (code 931),
    and each school's pupils, contacts and marks as one CTF under OUT/ctf/."""
    try:
        counts = write_synthetic_la(
            out, schools=schools, pupils=pupils, start=start, end=end, seed=seed_value
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for name, rows in counts.items():
        typer.echo(f"{out / (name + '.csv')}: {rows} rows")
    for urn, pupils_in_file in write_school_ctfs(out, out / "ctf", end).items():
        typer.echo(f"{out / 'ctf' / (urn + '.xml')}: CTF of {pupils_in_file} pupils")
