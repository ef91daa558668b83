"""The "What worked" section: per stage, before/after attendance by cohort, and its chart.

Rows are suppressed on the pupils with enough data (`figures.effect_rows`); the table lists the
whole-stage row always and the cohorts that are shown, and says how many were suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from casework.core.reports import charts
from casework.core.reports.cohorts import WHOLE, Cohort
from casework.core.reports.figures import Row, effect_rows
from casework.core.reports.rates import Ratio
from casework.core.reports.suppression import hidden_in_row
from casework.core.reports.tables import (
    SUPPRESSED,
    Chart,
    Section,
    Table,
    TableRow,
    stage_rank,
    stage_title,
)
from casework.core.reports.what_worked import EffectTally


def change_text(before: Ratio, after: Ratio) -> str:
    """after − before in percentage points, rounded half away from zero, exactly."""
    if not before.denominator or not after.denominator:
        return "–"
    num = after.numerator * before.denominator - before.numerator * after.denominator
    den = after.denominator * before.denominator
    tenths = (2000 * abs(num) + den) // (2 * den)
    sign = "+" if num > 0 else "−" if num < 0 and tenths else ""
    return f"{sign}{tenths // 10}.{tenths % 10} pts"


def _effect_cells(t: EffectTally | None, min_cohort: int) -> tuple[str, ...]:
    if t is None:
        return (SUPPRESSED,) * 8
    # Improved + unchanged + worse = the pupils shown beside them: a small one, and one that
    # would give it back by subtraction, are suppressed (issue 19).
    split = {"improved": t.improved, "unchanged": t.unchanged, "worse": t.worse}
    hidden = hidden_in_row(split, min_cohort)
    return (
        str(t.entries),
        str(t.pupils),
        t.before.text,
        t.after.text,
        change_text(t.before, t.after),
        *(SUPPRESSED if k in hidden else str(n) for k, n in split.items()),
    )


EFFECT_HEADERS = (
    "",
    "Entered",
    "With enough data",
    "Before",
    "After",
    "Change",
    "Improved",
    "Unchanged",
    "Worse",
)


def _effects_chart(shown: Sequence[tuple[str, EffectTally]], weeks: int) -> Chart:
    series = [
        charts.Series(
            "Before",
            charts.GREY,
            [t.before.value for _s, t in shown],
            [t.before.text for _s, t in shown],
        ),
        charts.Series(
            "After",
            charts.GREEN,
            [t.after.value for _s, t in shown],
            [t.after.text for _s, t in shown],
        ),
    ]
    axis = charts.percent_axis([v for s in series for v in s.values])
    title = f"Attendance {weeks} school weeks before and after entering each stage"
    return Chart(charts.column_chart([s for s, _t in shown], series, axis, title=title))


def _stage_table(rows: Sequence[tuple[str, Row[EffectTally]]], min_cohort: int) -> Table:
    body = tuple(
        TableRow((title, *_effect_cells(r.value, min_cohort)), r.value is None) for title, r in rows
    )
    return Table("By stage, all pupils", ("Stage", *EFFECT_HEADERS[1:]), body)


def _cohort_table(title: str, rows: Sequence[Row[EffectTally]], min_cohort: int) -> Table | None:
    """The stage's shown cohorts; None when every cohort is suppressed."""
    shown = [r for r in rows[1:] if r.value is not None]
    if not shown:
        return None
    hidden = len(rows) - 1 - len(shown)
    note = f" ({hidden} groups suppressed)" if hidden else ""
    body = tuple(TableRow((r.label, *_effect_cells(r.value, min_cohort))) for r in shown)
    return Table(f"{title}: by group of pupils{note}", EFFECT_HEADERS, body)


def what_worked_section(
    effects: Mapping[tuple[str, Cohort], EffectTally], weeks: int, min_cohort: int
) -> Section:
    """A row per stage entered in the period, the before/after chart, then each stage's
    groups of pupils where any is large enough to show."""
    stages = sorted({s for s, c in effects if c == WHOLE}, key=stage_rank)
    by_stage = [(stage_title(s), effect_rows(effects, s, min_cohort)) for s in stages]
    wholes = [(title, rows[0]) for title, rows in by_stage]  # WHOLE sorts first
    parts: list[Table | Chart] = [_stage_table(wholes, min_cohort)] if wholes else []
    shown = [(t, r.value) for t, r in wholes if r.value is not None and r.value.pupils]
    if shown:
        parts.append(_effects_chart(shown, weeks))
    parts += [
        t for title, rows in by_stage if (t := _cohort_table(title, rows, min_cohort)) is not None
    ]
    intro = (
        f"For each stage entered in the period: attendance in the {weeks} school weeks before "
        f"the week of entry and the {weeks} school weeks after it (the week of entry itself is "
        "left out). 'With enough data' counts pupils whose after-window has ended and who had at "
        "least half a register's sessions in both windows; only they are in the rates. "
        "Improved/unchanged/worse compare each pupil's own before and after."
    )
    return Section(
        "What worked", intro if wholes else "No stage was entered in the period.", tuple(parts)
    )
