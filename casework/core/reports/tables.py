"""Report building blocks: tables and sections of already formatted text, and the shared ones.

The templates only lay these out; every figure is formatted here from exact counts, and a
suppressed row reads "suppressed" in every cell but its label.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from casework.core.labels import stage_label, task_label
from casework.core.ladder.stages import CATALOGUE, LEGAL_STAGES, Stage
from casework.core.reports import charts
from casework.core.reports.actions import ActionCounts
from casework.core.reports.figures import Row
from casework.core.reports.rates import Ratio, Totals
from casework.core.reports.suppression import hidden_counts

SUPPRESSED = "suppressed"
K = TypeVar("K", bound=Hashable)
RATE_HEADERS = (
    "Pupils",
    "Attendance",
    "Overall absence",
    "Authorised",
    "Unauthorised",
    "Persistent absence",
    "Severe absence",
)
STAGE_ORDER = [spec.stage.value for spec in CATALOGUE]


@dataclass(frozen=True, slots=True)
class TableRow:
    cells: tuple[str, ...]
    suppressed: bool = False
    total: bool = False

    @property
    def spans(self) -> list[tuple[str, int]]:
        """Cells after the label as (text, columns): a run of 'suppressed' is one wide cell."""
        out: list[tuple[str, int]] = []
        for cell in self.cells[1:]:
            if out and cell == SUPPRESSED and out[-1][0] == SUPPRESSED:
                out[-1] = (SUPPRESSED, out[-1][1] + 1)
            else:
                out.append((cell, 1))
        return out


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]
    empty: str = "None in this period."
    kind: str = "table"


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    kind: str = "chart"


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    intro: str = ""
    parts: tuple[Table | Chart, ...] = ()
    notes: tuple[str, ...] = ()


def stage_title(stage: str) -> str:
    return stage_label(stage)


def stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def share(ratio: Ratio, count: int) -> str:
    return f"{ratio.text} ({count})" if ratio.denominator else "–"


def rate_cells(t: Totals | None, hidden: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """A row's figures; a pupil count in `hidden` (and the rate made from it) is suppressed."""
    if t is None:
        return (SUPPRESSED,) * len(RATE_HEADERS)
    return (
        str(t.pupils),
        t.attendance.text,
        t.absence.text,
        t.authorised_rate.text,
        t.unauthorised_rate.text,
        SUPPRESSED if "persistent" in hidden else share(t.persistent_rate, t.persistent),
        SUPPRESSED if "severe" in hidden else share(t.severe_rate, t.severe),
    )


def compare_cells(t: Totals | None, hidden: frozenset[str] = frozenset()) -> tuple[str, ...]:
    if t is None:
        return (SUPPRESSED, SUPPRESSED)
    return (t.attendance.text, SUPPRESSED if "persistent" in hidden else t.persistent_rate.text)


def rates_table(
    caption: str,
    rows: Sequence[Row[Totals]],
    *,
    compare: str | None = None,
    total: Row[Totals] | None = None,
) -> Table:
    """Rate rows; with `compare`, two more columns (attendance, persistent) for that group."""
    extra = (f"{compare}: attendance", f"{compare}: persistent") if compare else ()
    body = [
        TableRow(
            (
                r.label,
                *rate_cells(r.value, r.hidden),
                *(compare_cells(r.comparison, r.comparison_hidden) if compare else ()),
            ),
            suppressed=r.value is None,
        )
        for r in rows
    ]
    if total is not None:
        body.append(TableRow((total.label, *rate_cells(total.value, total.hidden)), total=True))
    return Table(caption, ("", *RATE_HEADERS, *extra), tuple(body))


def attendance_bars(rows: Sequence[Row[Totals]], *, title: str, marker: str | None) -> str:
    """Shown rows only; the title says how many were suppressed."""
    hidden = sum(1 for r in rows if r.value is None)
    if hidden:
        title = f"{title} ({hidden} suppressed)"
    bars = [
        charts.Bar(
            r.label,
            None if r.value is None else r.value.attendance.value,
            SUPPRESSED if r.value is None else r.value.attendance.text,
            None if r.comparison is None else r.comparison.attendance.value,
        )
        for r in rows
        if r.value is not None
    ]
    axis = charts.percent_axis([b.value for b in bars] + [b.marker for b in bars])
    return charts.horizontal_bars(bars, axis, title=title, marker_name=marker)


def trend_charts(rows: Sequence[Row[Totals]], mine: str, others: str | None) -> tuple[Chart, ...]:
    """Attendance and persistent absence by term, this group beside the comparison."""
    labels = [r.label for r in rows]
    out = []
    picks: tuple[tuple[str, str, Callable[[Totals], Ratio], Callable[..., charts.Axis]], ...] = (
        ("Attendance by term", "", lambda t: t.attendance, charts.percent_axis),
        ("Persistent absence by term", "persistent", lambda t: t.persistent_rate, charts.rate_axis),
    )
    for what, count, pick, axis_of in picks:
        # A bar made from a hidden pupil count is hidden like the table cell.
        values = [None if count in r.hidden else r.value for r in rows]
        series = [_series(mine, charts.BLUE, values, pick)]
        if others is not None:
            theirs = [None if count in r.comparison_hidden else r.comparison for r in rows]
            series.append(_series(others, charts.GREY, theirs, pick))
        axis = axis_of([v for s in series for v in s.values])
        out.append(Chart(charts.column_chart(labels, series, axis, title=what)))
    return tuple(out)


def _series(
    name: str, colour: str, values: Sequence[Totals | None], pick: Callable[[Totals], Ratio]
) -> charts.Series:
    ratios = [None if v is None else pick(v) for v in values]
    return charts.Series(
        name,
        colour,
        [None if r is None else r.value for r in ratios],
        [SUPPRESSED if r is None else r.text for r in ratios],
    )


def count_cells(
    counts: Mapping[K, int], min_cohort: int, partition: str | None = "column"
) -> dict[K, str]:
    """Counts of pupils (or their cases) as table text: small ones, and any that would give a
    small one back from a shown total, read "suppressed" (issue 19)."""
    partitions = dict.fromkeys(counts, partition)
    hidden = hidden_counts(counts, partitions, min_cohort)
    return {k: SUPPRESSED if k in hidden else str(n) for k, n in counts.items()}


def total_cell(n: int, min_cohort: int) -> str:
    return SUPPRESSED if 0 < n < min_cohort else str(n)


def action_tables(
    actions: ActionCounts, *, overdue: bool, min_cohort: int
) -> tuple[Table | Chart, ...]:
    """Open cases by stage (table and chart), legal decisions, notices, optionally overdue tasks.

    Every figure counts pupils or their cases, so each is suppressed below `min_cohort`, and so
    is any that would give a suppressed one back from its total."""
    stages = sorted(actions.open_by_stage, key=stage_rank)
    by_stage = count_cells({s: actions.open_by_stage[s] for s in stages}, min_cohort)
    open_rows = [TableRow((stage_title(s), by_stage[s])) for s in stages]
    if stages:
        whole = ("Pupils with an open case", total_cell(actions.open_cases, min_cohort))
        open_rows.append(TableRow(whole, total=True))
    parts: list[Table | Chart] = [
        Table(
            "Open cases by stage (pupils)",
            ("Stage", "Pupils"),
            tuple(open_rows),
            empty="No open cases.",
        ),
    ]
    if stages:
        bars = [
            charts.Bar(
                stage_title(s),
                None if by_stage[s] == SUPPRESSED else actions.open_by_stage[s],
                by_stage[s],
            )
            for s in stages
        ]
        axis = charts.count_axis([b.value for b in bars if b.value is not None])
        parts.append(Chart(charts.horizontal_bars(bars, axis, title="Open cases by stage")))
    parts += [
        _decisions_table(actions, min_cohort),
        _notices_table(actions, min_cohort),
        _duties_table(actions, min_cohort),
    ]
    if overdue:
        tasks = count_cells(dict(sorted(actions.overdue_tasks.items())), min_cohort, None)
        rows = [TableRow((task_label(kind), text)) for kind, text in tasks.items()]
        parts.append(
            Table(
                "Overdue tasks by kind", ("Task", "Overdue"), tuple(rows), empty="No overdue tasks."
            )
        )
    return tuple(parts)


def _decisions_table(actions: ActionCounts, min_cohort: int) -> Table:
    statuses = ("requested", "approved", "declined", "closed")
    rows = []
    for stage in sorted(LEGAL_STAGES, key=stage_rank):
        counts = {s: actions.decisions.get((stage.value, s), 0) for s in statuses}
        cells = count_cells(counts, min_cohort, "row")
        total = total_cell(sum(counts.values()), min_cohort)
        rows.append(TableRow((stage_title(stage), *cells.values(), total)))
    return Table(
        "Legal steps proposed in the period, by status on the report date",
        ("Step", "Awaiting decision", "Approved", "Declined", "No longer needed", "Total"),
        tuple(rows),
    )


def _duties_table(actions: ActionCounts, min_cohort: int) -> Table:
    """DOMAIN rules 32-35: leave decided, part-time timetables, deletions, half-term updates."""
    leave, deletion = Stage.LEAVE_OF_ABSENCE.value, Stage.DELETION_GROUND_I.value
    d, entered = actions.decisions, actions.entered
    rows = (
        ("Leave of absence asked for", sum(n for (s, _), n in d.items() if s == leave)),
        ("Leave granted", d.get((leave, "approved"), 0)),
        ("Leave refused", d.get((leave, "declined"), 0)),
        ("Pupils put on a part-time timetable", entered.get(Stage.PART_TIME_TIMETABLE.value, 0)),
        ("Deletions from the roll under Ground I", d.get((deletion, "approved"), 0)),
        (
            "Pupils whose families got a half-term update",
            entered.get(Stage.ATTENDANCE_UPDATE.value, 0),
        ),
    )
    # Counts of pupils like any other: small ones suppressed (issue 19).
    cells = count_cells(dict(rows), min_cohort, None)
    return Table(
        "Leave, part-time timetables, deletions and updates in the period",
        ("", "Count"),
        tuple(TableRow((label, cells[label])) for label, _ in rows),
    )


def _notices_table(actions: ActionCounts, min_cohort: int) -> Table:
    labels = {
        "issued": "Issued, awaiting payment",
        "paid": "Paid",
        "withdrawn": "Withdrawn",
        "expired": "Unpaid after the last day to pay",
    }
    cells = count_cells({s: actions.notices.get(s, 0) for s in labels}, min_cohort)
    rows = [TableRow((label, cells[s])) for s, label in labels.items()]
    total = total_cell(sum(actions.notices.values()), min_cohort)
    rows.append(TableRow(("Total issued", total), total=True))
    return Table(
        "Penalty notices issued in the period, by status on the report date",
        ("Status", "Notices"),
        tuple(rows),
    )
