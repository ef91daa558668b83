"""The two reports as documents (title, facts, sections) ready for the HTML templates.

Start here: `governors_document(school, others, period, ...)` for one school's governing board,
with the LA's other schools as the comparison; `la_document(schools, period, ...)` for the LA,
a row per school. Both are pure: figures in, formatted text and SVG out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from casework.core.reports.actions import ActionCounts
from casework.core.reports.figures import (
    Figures,
    Period,
    Row,
    SchoolFigures,
    cohort_rows,
    hidden_pupil_counts,
    school_rows,
    term_rows,
    total,
)
from casework.core.reports.rates import Totals
from casework.core.reports.tables import (
    Chart,
    Section,
    Table,
    TableRow,
    action_tables,
    attendance_bars,
    count_cells,
    rates_table,
    trend_charts,
)
from casework.core.reports.what_worked_table import what_worked_section

OTHERS = "LA other schools"


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]


def _long(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _facts(period: Period, min_cohort: int) -> tuple[tuple[str, str], ...]:
    return (
        ("Period", f"{_long(period.start)} to {_long(period.end)}"),
        ("Figures as of", _long(period.on)),
        ("Smallest group shown", f"{min_cohort} pupils"),
    )


def method_section(min_cohort: int) -> Section:
    return Section(
        "How these figures are counted",
        notes=(
            "Attendance = sessions present or at an approved educational activity ÷ possible "
            "sessions; absence rates likewise, for authorised and unauthorised absence "
            "(2024 register codes). Sessions coded D, Q, X, Y1–Y7, Z and # are not possible "
            "sessions.",
            "Persistent absence: a pupil whose absence is 10% or more of their own possible "
            "sessions (exactly 90.0% attendance counts); severe absence: 50% or more. Both are "
            "compared with whole numbers, never rounded percentages. Percentages are rounded "
            "half up to one decimal place for display only.",
            f"Any group of fewer than {min_cohort} pupils shows 'suppressed'. Where groups add up "
            "to a total that is shown (pupil premium and not, SEN N/K/E, year groups, "
            "ethnicities, terms, the schools of the LA, and a group such as FSM with the rest of "
            "the school), further groups are suppressed, smallest first, until the hidden groups "
            "together hold at least that many pupils, so no small group's figures can be worked "
            "out by subtraction.",
            "Counts of cases, legal steps, notices and tasks describe actions, not pupils' "
            "characteristics, and are not broken down by group.",
        ),
    )


def _whole(label: str, totals: Totals, min_cohort: int) -> Row[Totals]:
    hidden = hidden_pupil_counts({label: totals}, {label: None}, min_cohort)[label]
    return Row(label, totals if totals.pupils >= min_cohort else None, hidden=hidden)


def _groups_and_terms(
    mine: Figures, min_cohort: int, others: Figures | None, where: str
) -> tuple[Section, Section]:
    """The cohort and term-on-term sections, with the comparison columns when `others`."""
    compare = OTHERS if others is not None else None
    cohorts = cohort_rows(mine.by_cohort, min_cohort, others.by_cohort if others else None)
    terms = term_rows(mine.by_term, min_cohort, others.by_term if others else None)
    groups: tuple[Table | Chart, ...] = (
        rates_table("Groups of pupils", cohorts, compare=compare),
        Chart(attendance_bars(cohorts, title="Attendance by group", marker=compare)),
    )
    trend: tuple[Table | Chart, ...] = (
        rates_table("By term", terms, compare=compare),
        *trend_charts(terms, where, compare),
    )
    suffix = "" if others is not None else " (whole LA)"
    return (
        Section(f"By group of pupils{suffix}", parts=groups),
        Section(f"Term on term{suffix}", parts=trend),
    )


def governors_document(
    school: SchoolFigures, others: Figures, period: Period, *, la_name: str, min_cohort: int
) -> Document:
    """One school against the LA's other schools (their pooled figures: the LA average)."""
    mine = school.figures
    headline = [
        _whole("This school", mine.whole, min_cohort),
        _whole(f"{OTHERS} (LA average)", others.whole, min_cohort),
    ]
    sections = (
        Section("Attendance and absence", parts=(rates_table("Whole school", headline),)),
        *_groups_and_terms(mine, min_cohort, others, "This school"),
        Section(
            "Cases and legal steps",
            parts=action_tables(mine.actions, overdue=False, min_cohort=min_cohort),
        ),
        what_worked_section(mine.effects, period.weeks, min_cohort),
        method_section(min_cohort),
    )
    return Document(
        f"Attendance report for governors: {school.name}",
        f"URN {school.urn} · {la_name}",
        _facts(period, min_cohort),
        sections,
    )


def _casework_by_school(schools: Sequence[SchoolFigures], min_cohort: int) -> Table:
    ordered = sorted(schools, key=lambda s: s.urn)
    columns: tuple[Callable[[ActionCounts], int], ...] = (
        lambda a: a.open_cases,
        lambda a: sum(a.decisions.values()),
        lambda a: sum(a.notices.values()),
        lambda a: sum(a.overdue_tasks.values()),
    )
    # Each column's schools add up to the LA figure shown below it: small counts and the
    # cells that would give them back are suppressed (issue 19).
    cells = [
        count_cells({s.urn: pick(s.figures.actions) for s in ordered}, min_cohort)
        for pick in columns
    ]
    rows = [
        TableRow((f"{s.name} ({s.urn})", *(column[s.urn] for column in cells))) for s in ordered
    ]
    return Table(
        "Casework by school",
        (
            "School",
            "Pupils with an open case",
            "Legal steps proposed",
            "Penalty notices issued",
            "Overdue tasks",
        ),
        tuple(rows),
    )


def la_document(
    schools: Sequence[SchoolFigures], period: Period, *, la_name: str, min_cohort: int
) -> Document:
    """Every school, a row each, and the LA as a whole."""
    la = total(s.figures for s in schools)
    la_row = _whole("LA total", la.whole, min_cohort)
    rows = [
        replace(r, comparison=la_row.value, comparison_hidden=la_row.hidden)
        for r in school_rows(schools, min_cohort)
    ]
    by_school = (
        rates_table("Attendance and absence by school", rows, total=la_row),
        Chart(attendance_bars(rows, title="Attendance by school", marker="LA average")),
    )
    casework = (
        _casework_by_school(schools, min_cohort),
        *action_tables(la.actions, overdue=True, min_cohort=min_cohort),
    )
    sections = (
        Section("Schools", parts=by_school),
        *_groups_and_terms(la, min_cohort, None, "LA"),
        Section("Cases, legal steps and tasks", parts=casework),
        what_worked_section(la.effects, period.weeks, min_cohort),
        method_section(min_cohort),
    )
    return Document(
        f"Attendance report: {la_name}",
        f"{len(schools)} schools",
        _facts(period, min_cohort),
        sections,
    )
