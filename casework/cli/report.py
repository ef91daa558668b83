"""`pathway report governors|la`: attendance reports as HTML and PDF under the var folder."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from casework.cli.app import app, policy, settings, today
from casework.cli.help import PlainTyper
from casework.cli.types import DATE_METAVAR, parse_day
from casework.service.errors import ServiceError

report_app = PlainTyper(
    help="Attendance reports (HTML and PDF) for governors and the LA.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(report_app, name="report")


Start = Annotated[
    date | None,
    typer.Option(
        "--from",
        parser=parse_day,
        metavar=DATE_METAVAR,
        help="First day (default: 1 August before --to).",
    ),
]
End = Annotated[
    date | None,
    typer.Option("--to", parser=parse_day, metavar=DATE_METAVAR, help="Last day (default: --on)."),
]
On = Annotated[
    date | None,
    typer.Option(
        "--on", parser=parse_day, metavar=DATE_METAVAR, help="As of this date (default: today)."
    ),
]
MinCohort = Annotated[
    int, typer.Option("--min-cohort", min=1, help="Smaller groups show 'suppressed'.")
]
Weeks = Annotated[
    int, typer.Option("--weeks", min=1, help="What worked: school weeks before and after.")
]


@report_app.command("governors")
def governors(
    school: Annotated[str, typer.Option("--school", help="The school's URN.")],
    start: Start = None,
    end: End = None,
    on: On = None,
    min_cohort: MinCohort = 5,
    weeks: Weeks = 6,
) -> None:
    """One school's report for its governing board, compared with the LA's other schools."""
    # Imported here: the report stack (WeasyPrint, Jinja) is slow to load and `--help` is not.
    from casework.db.database import open_database
    from casework.service.reports import build_governors_report

    s = settings()
    try:
        files = build_governors_report(
            open_database(s), s, school.strip(), start=start, end=end, on=on or today(),
            policy=policy(), min_cohort=min_cohort, weeks=weeks,
        )  # fmt: skip
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{files.html}\n{files.pdf}")


@report_app.command("la")
def la(
    start: Start = None,
    end: End = None,
    on: On = None,
    min_cohort: MinCohort = 5,
    weeks: Weeks = 6,
) -> None:
    """The LA's report: a row per school, groups, terms, casework, overdue tasks, notices."""
    from casework.db.database import open_database
    from casework.service.reports import build_la_report

    s = settings()
    try:
        files = build_la_report(
            open_database(s), s, start=start, end=end, on=on or today(), policy=policy(),
            min_cohort=min_cohort, weeks=weeks,
        )  # fmt: skip
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{files.html}\n{files.pdf}")
