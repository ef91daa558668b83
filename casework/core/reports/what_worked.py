"""What worked: attendance in the N school weeks before a pupil entered a stage and the N after.

The windows are whole school weeks (DOMAIN.md rule 6: Monday–Sunday weeks with at least one
session, so holidays are skipped): the N school weeks before the week of entry, and the N school
weeks after it. The week of entry itself is left out of both, because it mixes the absence that
triggered the stage with the first days of the response.

An effect has *enough data* when both windows exist in the calendar, the after window has ended
by the date the data runs to, and each window holds at least half a register's possible sessions
(5 a week), so a pupil who joined or left mid-window does not count as a change. Only effects
with enough data are tallied into before/after rates; every entry is counted as an entry.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from casework.core.calendar import SchoolCalendar, monday_of
from casework.core.marks import SessionMark
from casework.core.measures import AttendanceMeasures, measure
from casework.core.reports.actions import StageRow
from casework.core.reports.cohorts import Cohort
from casework.core.reports.rates import Ratio

DEFAULT_WEEKS = 6
MIN_SESSIONS_PER_WEEK = 5  # half of a full week's ten sessions
_SUNDAY = timedelta(days=6)
_NONE = AttendanceMeasures(0, 0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Window:
    first: date
    last: date  # inclusive


@dataclass(frozen=True, slots=True)
class StageEffect:
    upn: str
    stage: str
    entered_date: date
    before_window: Window | None  # None: the calendar has too few school weeks
    after_window: Window | None
    before: AttendanceMeasures
    after: AttendanceMeasures
    enough_data: bool

    @property
    def outcome(self) -> str | None:
        """improved | unchanged | worse (attendance after vs before, exactly), or None."""
        if not self.enough_data:
            return None
        after = self.after.attended * self.before.possible
        before = self.before.attended * self.after.possible
        return "improved" if after > before else "worse" if after < before else "unchanged"


def effect_windows(calendar: SchoolCalendar, entered: date, weeks: int) -> tuple[Window, Window]:
    """The before and after windows of an entry; raises LookupError beyond the calendar."""
    starts = calendar.week_starts
    monday = monday_of(entered)
    i = bisect_left(starts, monday)
    after_from = i + 1 if i < len(starts) and starts[i] == monday else i
    if weeks < 1 or i - weeks < 0 or after_from + weeks > len(starts):
        raise LookupError("not enough school weeks in the calendar")
    before, after = starts[i - weeks : i], starts[after_from : after_from + weeks]
    return Window(before[0], before[-1] + _SUNDAY), Window(after[0], after[-1] + _SUNDAY)


def stage_effect(
    row: StageRow,
    marks: Sequence[SessionMark],
    calendar: SchoolCalendar,
    weeks: int,
    data_until: date,
) -> StageEffect:
    """One stage entry's before/after attendance, using marks up to `data_until` only."""
    try:
        before_w, after_w = effect_windows(calendar, row.entered_date, weeks)
    except LookupError:
        return StageEffect(row.upn, row.stage, row.entered_date, None, None, _NONE, _NONE, False)
    before = measure(marks, before_w.first, min(before_w.last, data_until))
    after = measure(marks, after_w.first, min(after_w.last, data_until))
    last_day = calendar.school_days(after_w.first, after_w.last)[-1]
    need = MIN_SESSIONS_PER_WEEK * weeks
    enough = last_day <= data_until and before.possible >= need and after.possible >= need
    return StageEffect(
        row.upn, row.stage, row.entered_date, before_w, after_w, before, after, enough
    )


def first_entries(rows: Iterable[StageRow], start: date, end: date) -> list[StageRow]:
    """Each pupil's first entry to each stage within start..end (a re-entry is not a new pupil)."""
    first: dict[tuple[str, str], StageRow] = {}
    for row in rows:
        if not start <= row.entered_date <= end:
            continue
        key = (row.upn, row.stage)
        held = first.get(key)
        if held is None or row.entered_date < held.entered_date:
            first[key] = row
    return sorted(first.values(), key=lambda r: (r.stage, r.entered_date, r.upn))


@dataclass(frozen=True, slots=True)
class EffectTally:
    """Additive before/after counts for one stage and cohort."""

    entries: int = 0  # pupils who entered the stage in the period
    pupils: int = 0  # of those, pupils with enough data
    before_attended: int = 0
    before_possible: int = 0
    after_attended: int = 0
    after_possible: int = 0
    improved: int = 0
    unchanged: int = 0
    worse: int = 0

    @classmethod
    def of(cls, effect: StageEffect) -> EffectTally:
        if not effect.enough_data:
            return cls(entries=1)
        b, a, outcome = effect.before, effect.after, effect.outcome
        return cls(
            1,
            1,
            b.attended,
            b.possible,
            a.attended,
            a.possible,
            int(outcome == "improved"),
            int(outcome == "unchanged"),
            int(outcome == "worse"),
        )

    def __add__(self, o: EffectTally) -> EffectTally:
        return EffectTally(
            self.entries + o.entries,
            self.pupils + o.pupils,
            self.before_attended + o.before_attended,
            self.before_possible + o.before_possible,
            self.after_attended + o.after_attended,
            self.after_possible + o.after_possible,
            self.improved + o.improved,
            self.unchanged + o.unchanged,
            self.worse + o.worse,
        )

    @property
    def before(self) -> Ratio:
        return Ratio(self.before_attended, self.before_possible)

    @property
    def after(self) -> Ratio:
        return Ratio(self.after_attended, self.after_possible)


def tally(
    effects: Iterable[tuple[StageEffect, Sequence[Cohort]]],
) -> dict[tuple[str, Cohort], EffectTally]:
    """Per (stage, cohort): entries, pupils with enough data, and their pooled before/after."""
    out: dict[tuple[str, Cohort], EffectTally] = defaultdict(EffectTally)
    for effect, cohorts in effects:
        one = EffectTally.of(effect)
        for cohort in cohorts:
            out[(effect.stage, cohort)] += one
    return dict(out)
