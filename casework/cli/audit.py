"""`pathway audit` commands: export the intervention trail, verify the hash chain."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from casework.cli.app import app, settings
from casework.cli.help import PlainTyper
from casework.cli.progress import StderrProgress
from casework.db.audit_anchor import read_anchors
from casework.db.audit_checkpoint import checkpoint_path
from casework.db.database import open_database
from casework.service.audit import trail as audit_service
from casework.service.audit.trail import ExportFormat, TrailFilters
from casework.service.audit.trail_pdf import ChainCheck, export_pdf

audit_app = PlainTyper(
    help="The audit trail: export it, verify nothing was altered.", rich_markup_mode=None
)
app.add_typer(audit_app, name="audit")


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc


@audit_app.command("export")
def export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl, csv or pdf.")],
    school: Annotated[str | None, typer.Option("--school", help="Only this school (URN).")] = None,
    upn: Annotated[str | None, typer.Option("--upn", help="Only this pupil.")] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="First school date (YYYY-MM-DD).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last school date (YYYY-MM-DD).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (jsonl/csv default: stdout).")
    ] = None,
    full_check: Annotated[
        bool,
        typer.Option(
            "--full-check",
            help=(
                "pdf: verify the whole chain for the statement on its first page, not only the "
                "entries after the last verified head."
            ),
        ),
    ] = False,
) -> None:
    """Export the intervention trail; filtered exports keep each entry's real seq and hashes."""
    filters = TrailFilters(
        urn=school, upn=upn, from_date=_parse_date(from_, "--from"), to_date=_parse_date(to, "--to")
    )
    engine = open_database(settings())
    if fmt is ExportFormat.PDF:
        now = datetime.now(UTC)
        path = out or settings().var_dir / "audit" / f"audit-trail-{now:%Y%m%dT%H%M%SZ}.pdf"
        # Minutes for a whole trail: say so on stderr; stdout stays the path alone.
        check = ChainCheck.beside(settings().audit_anchor_path, full=full_check)
        with StderrProgress(lines_off_terminal=True) as progress:
            written = export_pdf(
                engine, path, filters=filters, check=check, now=now, progress=progress
            )
        typer.echo(written)
        return
    if out is None:
        audit_service.export(engine, fmt, sys.stdout, **filters.as_kwargs())
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = audit_service.export(engine, fmt, handle, **filters.as_kwargs())
    typer.echo(f"{count} entries written to {out}")


Incremental = Annotated[
    bool,
    typer.Option(
        "--incremental",
        help=(
            "Read only the entries after the head the last verification found intact (first "
            "confirming it still carries that hash). An edit before it that left the stored "
            "hashes alone shows only to the full check, the default."
        ),
    ),
]


@audit_app.command("verify")
def verify_command(incremental: Incremental = False) -> None:
    """Check the whole audit chain and its anchor; exit 1 naming what was altered or cut off."""
    path = settings().audit_anchor_path
    report = audit_service.verify_and_checkpoint(
        open_database(settings()),
        read_anchors(path),
        checkpoint_path(path),
        full=not incremental,
    )
    if report.broken is not None:
        typer.echo(f"audit chain BROKEN at seq {report.broken.seq}: {report.broken.reason}")
        raise typer.Exit(code=1)
    if report.anchor_break is not None:
        typer.echo(f"audit chain BROKEN against its anchor {path}: {report.anchor_break.reason}")
        raise typer.Exit(code=1)
    if not report.anchors and report.entries:
        typer.echo(f"warning: no anchor at {path}: a cut-off tail would not show")
    checked = f"{report.entries} entries"
    if report.since is not None:
        checked += f" after seq {report.since.seq} (verified intact at {report.since.at})"
    elif incremental:
        checked += " (no earlier verification to start from: the whole chain was read)"
    typer.echo(f"audit chain OK: {checked}, {report.anchors} anchored heads agree")
