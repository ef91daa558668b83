"""Report figures from plain values: per school, then added up for the LA; no database here.

Start here: `school_figures(SchoolData, Period) -> SchoolFigures`; add `Figures` together for the
LA (or for "the LA's other schools"); then `cohort_rows`, `term_rows`, `school_rows` and
`effect_rows` give table rows with small-number suppression applied (see `suppression.py`).

Every pupil is measured over the period with `casework.core.measures.measure` (DOMAIN.md rules 1-3),
and separately over each term; the counts are added per cohort. A pupil with no possible session
in a period (not on roll then) is counted nowhere for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from casework.core.calendar import SchoolCalendar
from casework.core.marks import SessionMark
from casework.core.measures import measure
from casework.core.reports.actions import (
    ActionCounts,
    DecisionRow,
    NoticeRow,
    StageRow,
    TaskRow,
    count_actions,
)
from casework.core.reports.cohorts import (
    FLAGS,
    WHOLE,
    Cohort,
    PupilTraits,
    cohorts_of,
    complements,
    sort_key,
)
from casework.core.reports.rates import ZERO, Totals
from casework.core.reports.suppression import hidden_counts, suppressed
from casework.core.reports.terms import TermKey, terms_between
from casework.core.reports.what_worked import EffectTally, first_entries, stage_effect, tally

K = TypeVar("K")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive
    on: date  # the date the report is as of: marks recorded by then, statuses then
    weeks: int = 6  # what-worked window, school weeks

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"the period starts ({self.start}) after it ends ({self.end})")
        if self.weeks < 1:
            raise ValueError("weeks must be at least 1")


@dataclass(frozen=True)
class SchoolData:
    """One school's rows, loaded in bulk by the shell."""

    urn: str
    name: str
    la_code: str
    calendar: SchoolCalendar
    pupils: Mapping[str, PupilTraits]
    marks: Mapping[str, Sequence[SessionMark]]
    stages: Sequence[StageRow] = ()
    decisions: Sequence[DecisionRow] = ()
    notices: Sequence[NoticeRow] = ()
    tasks: Sequence[TaskRow] = ()


def _merge(a: Mapping[K, T], b: Mapping[K, T]) -> dict[K, T]:
    out = dict(a)
    for key, value in b.items():
        held = out.get(key)
        out[key] = value if held is None else held + value  # type: ignore[operator]
    return out


@dataclass(frozen=True)
class Figures:
    by_cohort: Mapping[Cohort, Totals] = field(default_factory=dict)
    by_term: Mapping[TermKey, Totals] = field(default_factory=dict)
    actions: ActionCounts = field(default_factory=ActionCounts)
    effects: Mapping[tuple[str, Cohort], EffectTally] = field(default_factory=dict)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            _merge(self.by_cohort, other.by_cohort),
            _merge(self.by_term, other.by_term),
            self.actions + other.actions,
            _merge(self.effects, other.effects),
        )

    @property
    def whole(self) -> Totals:
        return self.by_cohort.get(WHOLE, ZERO)


@dataclass(frozen=True)
class SchoolFigures:
    urn: str
    name: str
    la_code: str
    figures: Figures


def total(figures: Iterable[Figures]) -> Figures:
    out = Figures()
    for one in figures:
        out = out + one
    return out


def _attendance(
    data: SchoolData, period: Period
) -> tuple[dict[Cohort, Totals], dict[TermKey, Totals]]:
    terms = terms_between(data.calendar, period.start, period.end)
    by_cohort: dict[Cohort, Totals] = defaultdict(Totals)
    by_term: dict[TermKey, Totals] = defaultdict(Totals)
    for upn, traits in data.pupils.items():
        marks = data.marks.get(upn, ())
        one = Totals.of(measure(marks, period.start, period.end))
        if one.pupils:
            for cohort in cohorts_of(traits):
                by_cohort[cohort] += one
        for term in terms:
            by_term[term.key] += Totals.of(measure(marks, term.first_day, term.last_day))
    return dict(by_cohort), {k: v for k, v in by_term.items() if v.pupils}


def school_figures(data: SchoolData, period: Period, *, detail: bool = True) -> SchoolFigures:
    """The school's figures; with `detail` off, attendance only (for LA comparisons)."""
    by_cohort, by_term = _attendance(data, period)
    if not detail:
        return SchoolFigures(data.urn, data.name, data.la_code, Figures(by_cohort, by_term))
    actions = count_actions(
        list(data.stages),
        list(data.decisions),
        list(data.notices),
        list(data.tasks),
        start=period.start,
        end=period.end,
        on=period.on,
    )
    effects = [
        (
            stage_effect(row, data.marks.get(row.upn, ()), data.calendar, period.weeks, period.on),
            cohorts_of(data.pupils[row.upn]),
        )
        for row in first_entries(data.stages, period.start, period.end)
        if row.upn in data.pupils
    ]
    figures = Figures(by_cohort, by_term, actions, tally(effects))
    return SchoolFigures(data.urn, data.name, data.la_code, figures)


@dataclass(frozen=True, slots=True)
class Row(Generic[T]):
    """A table row; `value` None means suppressed. `comparison` is the LA's figure, if any."""

    label: str
    value: T | None
    comparison: T | None = None
    # Counts of pupils in the row (Totals.persistent, .severe) too small to show, with the
    # rates made from them; the same for the comparison column.
    hidden: frozenset[str] = frozenset()
    comparison_hidden: frozenset[str] = frozenset()


PUPIL_COUNTS = ("persistent", "severe")


def hidden_pupil_counts(
    rows: Mapping[K, Totals],
    partition_of: Mapping[K, str | None],
    min_cohort: int,
    never_shown: Mapping[K, Totals] | None = None,
) -> dict[K, frozenset[str]]:
    """Per row, which of PUPIL_COUNTS are hidden (small, or derivable from the rest)."""
    out: dict[K, set[str]] = {key: set() for key in rows}
    extra = never_shown or {}
    for name in PUPIL_COUNTS:
        counts = {k: getattr(t, name) for k, t in {**rows, **extra}.items()}
        for key in hidden_counts(counts, partition_of, min_cohort, never_shown=set(extra)):
            if key in out:
                out[key].add(name)
    return {key: frozenset(names) for key, names in out.items()}


def _cohort_counts_hidden(
    mine: Mapping[Cohort, Totals], min_cohort: int
) -> dict[Cohort, frozenset[str]]:
    """Pupil counts hidden per cohort; each flag's derivable rest counts as a hidden row."""
    rest: dict[Cohort, Totals] = {}
    whole = mine.get(WHOLE)
    for cohort in mine:
        if whole is not None and cohort.dimension in FLAGS:
            rest[Cohort(cohort.dimension, "rest", "")] = _minus(whole, mine[cohort])
    every = {**mine, **rest}
    return hidden_pupil_counts(mine, {c: c.partition for c in every}, min_cohort, rest)


def _minus(a: Totals, b: Totals) -> Totals:
    return Totals(
        a.pupils - b.pupils,
        a.possible - b.possible,
        a.attended - b.attended,
        a.authorised - b.authorised,
        a.unauthorised - b.unauthorised,
        a.persistent - b.persistent,
        a.severe - b.severe,
    )


def hidden_cohorts(
    sizes: Mapping[Cohort, int], min_cohort: int, shown: Iterable[Cohort] | None = None
) -> frozenset[Cohort]:
    """Suppressed cohorts: each flag's derivable rest and any cohort not `shown` count as
    hidden rows of their partitions (see `suppression.py`)."""
    rest = complements(sizes)
    every = {**sizes, **rest}
    never = set(rest) | (set(sizes) - set(shown) if shown is not None else set())
    return suppressed(every, {c: c.partition for c in every}, min_cohort, never)


def cohort_rows(
    mine: Mapping[Cohort, Totals], min_cohort: int, others: Mapping[Cohort, Totals] | None = None
) -> list[Row[Totals]]:
    """A row per cohort with pupils, suppressed where small (also in the comparison column,
    judged on all of the comparison's cohorts, shown here or not)."""
    hidden = hidden_cohorts({c: t.pupils for c, t in mine.items()}, min_cohort)
    hidden_others: frozenset[Cohort] = frozenset()
    if others is not None:
        sizes = {c: others.get(c, ZERO).pupils for c in {*others, *mine}}
        hidden_others = hidden_cohorts(sizes, min_cohort, shown=mine)
    counts = _cohort_counts_hidden(mine, min_cohort)
    counts_others = _cohort_counts_hidden(
        {c: others.get(c, ZERO) for c in {*others, *mine}} if others is not None else {},
        min_cohort,
    )
    return [
        Row(
            c.label,
            None if c in hidden else mine[c],
            None if others is None or c in hidden_others else others.get(c, ZERO),
            counts[c],
            counts_others.get(c, frozenset()),
        )
        for c in sorted(mine, key=sort_key)
    ]


def term_rows(
    mine: Mapping[TermKey, Totals], min_cohort: int, others: Mapping[TermKey, Totals] | None = None
) -> list[Row[Totals]]:
    """A row per term. Terms split the period's sessions, so they are treated as a partition."""
    keys = sorted(mine)
    hidden = suppressed({k: mine[k].pupils for k in keys}, dict.fromkeys(keys, "terms"), min_cohort)
    hidden_others = suppressed(
        {k: (others or {}).get(k, ZERO).pupils for k in keys},
        dict.fromkeys(keys, "terms"),
        min_cohort,
    )
    terms = dict.fromkeys(keys, "terms")
    counts = hidden_pupil_counts({k: mine[k] for k in keys}, terms, min_cohort)
    theirs = {k: (others or {}).get(k, ZERO) for k in keys}
    counts_others = hidden_pupil_counts(theirs, terms, min_cohort)
    return [
        Row(
            k.label,
            None if k in hidden else mine[k],
            None if others is None or k in hidden_others else others.get(k, ZERO),
            counts[k],
            counts_others[k],
        )
        for k in keys
    ]


def school_rows(schools: Sequence[SchoolFigures], min_cohort: int) -> list[Row[Totals]]:
    """A row per school (in URN order); the schools partition the LA total shown beneath."""
    ordered = sorted(schools, key=lambda s: s.urn)
    sizes = {s.urn: s.figures.whole.pupils for s in ordered}
    hidden = suppressed(sizes, dict.fromkeys(sizes, "schools"), min_cohort)
    wholes = {s.urn: s.figures.whole for s in ordered}
    counts = hidden_pupil_counts(wholes, dict.fromkeys(wholes, "schools"), min_cohort)
    return [
        Row(
            f"{s.name} ({s.urn})",
            None if s.urn in hidden else s.figures.whole,
            hidden=counts[s.urn],
        )
        for s in ordered
    ]


def effect_rows(
    effects: Mapping[tuple[str, Cohort], EffectTally], stage: str, min_cohort: int
) -> list[Row[EffectTally]]:
    """One stage's what-worked rows by cohort, suppressed on pupils with enough data."""
    mine = {c: t for (s, c), t in effects.items() if s == stage}
    hidden = hidden_cohorts({c: t.pupils for c, t in mine.items()}, min_cohort)
    return [Row(c.label, None if c in hidden else mine[c]) for c in sorted(mine, key=sort_key)]
