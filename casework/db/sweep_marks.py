"""A school's marks as a sweep reads them: a short raw window for every pupil, a long one for
the few whose rules must count day by day further back, the year behind either counted by the
weekly tallies, and the whole year for the few the window would cut short
(casework.core.ladder.window).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from casework.core.calendar import SchoolCalendar, SweepPoint, academic_year_start
from casework.core.ladder.view import PupilView
from casework.core.ladder.window import (
    SHORT_WEEKS,
    Reading,
    counted_weeks,
    long_weeks,
    reading_for,
)
from casework.core.marks import SessionMark
from casework.core.measures import (
    AttendanceMeasures,
    PriorTotals,
    less_measures,
    measures_from_codes,
)
from casework.core.policy import Policy
from casework.db.weekly_tallies import WeekCounts, first_counted_week, week_sums, weekly_counts
from casework.db.year_totals import LOOKBACK, visible_window, year_prior


@dataclass(frozen=True)
class _Window:
    start: date
    marks: dict[str, list[SessionMark]]
    priors: dict[str, PriorTotals]
    stale: frozenset[str]  # a version behind the window was recorded after the sweep's time

    def parts(
        self, upn: str, weekly: dict[str, tuple[WeekCounts, ...]]
    ) -> tuple[list[SessionMark], PriorTotals]:
        prior = self.priors.get(upn) or PriorTotals(self.start, measures_from_codes({}), 0, ())
        weeks = weekly.get(upn)
        if not weeks:  # most pupils: no unauthorised or late week to carry
            return self.marks.get(upn, []), prior
        behind = [w for w in weeks if w[0] < self.start]
        prior = PriorTotals(
            prior.window_start,
            prior.measures,
            prior.illness_sessions,
            prior.unresolved_n,
            penalty_weeks=tuple((week, n) for week, n, _ in behind if n),
            late_weeks=tuple((week, n) for week, _, n in behind if n),
        )
        return self.marks.get(upn, []), prior


def windowed_views(
    session: Session,
    views: list[PupilView],
    calendar: SchoolCalendar,
    on: SweepPoint,
    policy: Policy,
    only: Collection[str] | None = None,
) -> list[PupilView]:
    """The `views` (built without marks) with the marks and counts their rules need."""
    if not views:
        return views
    urn, today = calendar.urn, on.school_date
    short = _window(session, calendar, on, calendar.school_week_start(today, SHORT_WEEKS), only)
    since = calendar.school_week_start(today, counted_weeks(policy))
    weekly, unreadable = weekly_counts(session, urn, since, short.start, on.at)
    stale = unreadable | short.stale

    def built(view: PupilView, window: _Window) -> PupilView:
        marks, prior = window.parts(view.upn, weekly)
        return view.over(marks, prior)

    out = [built(v, short) for v in views]
    readings = {v.upn: Reading.WHOLE if v.upn in stale else reading_for(v, policy) for v in out}
    lengthen = {upn for upn, r in readings.items() if r is Reading.LONG}
    if lengthen:
        start = calendar.school_week_start(today, long_weeks(policy))
        long = _earlier(session, calendar, on, start, lengthen, short)
        out = [built(v, long) if v.upn in lengthen else v for v in out]
    whole = {upn for upn, r in readings.items() if r is Reading.WHOLE}
    if whole - stale:
        # Most runs, and the legal threshold's weeks, end inside the counted weeks: read those
        # and ask again; only a pupil they still cut short is read over the whole year.
        back = _earlier(session, calendar, on, since, whole - stale, short)
        rebuilt = {v.upn: built(v, back) for v in out if v.upn in whole - stale}
        held = {
            upn
            for upn, view in rebuilt.items()
            if upn not in back.stale and reading_for(view, policy) is not Reading.WHOLE
        }
        out = [rebuilt[v.upn] if v.upn in held else v for v in out]
        whole -= held
    return _with_whole_year(session, out, whole) if whole else out


def _window(
    session: Session,
    calendar: SchoolCalendar,
    on: SweepPoint,
    start: date,
    pupils: Collection[str] | None,
) -> _Window:
    if pupils is not None and not pupils:
        return _Window(start, {}, {}, frozenset())
    marks = visible_window(session, calendar.urn, start, on, pupils)
    year_start = academic_year_start(on.school_date)
    priors, stale = year_prior(session, calendar.urn, year_start, start, on.at, pupils)
    return _Window(start, marks, priors, stale)


def _earlier(
    session: Session,
    calendar: SchoolCalendar,
    on: SweepPoint,
    start: date,
    pupils: Collection[str],
    short: _Window,
) -> _Window:
    """A window from `start`, before the short one's, for `pupils` (none of them stale there).

    The year behind it is the short window's less the weeks between, taken from the tallies:
    the year is not summed again for each window. Early in the year, when `start` is not
    inside the tallied span, it is counted as the short window's was.
    """
    year_start = academic_year_start(on.school_date)
    if not first_counted_week(year_start, short.start) <= start < short.start:
        return _window(session, calendar, on, start, pupils)
    between, later = week_sums(session, calendar.urn, start, short.start, on.at, pupils)
    if any(upn not in short.priors for upn in between):  # counted apart: count it again
        return _window(session, calendar, on, start, pupils)
    none = (AttendanceMeasures(0, 0, 0, 0, 0, 0), 0)
    priors: dict[str, PriorTotals] = {}
    for upn in set(pupils) & set(short.priors):
        prior = short.priors[upn]
        measures, ill = between.get(upn, none)
        priors[upn] = PriorTotals(
            start,
            less_measures(prior.measures, measures),
            prior.illness_sessions - ill,
            tuple(m for m in prior.unresolved_n if m.school_date < start),
        )
    marks = visible_window(session, calendar.urn, start, on, pupils)
    return _Window(start, marks, priors, short.stale | later)


def _with_whole_year(session: Session, views: list[PupilView], whole: set[str]) -> list[PupilView]:
    on = views[0].on
    since = academic_year_start(on.school_date) - LOOKBACK
    marks = visible_window(session, views[0].calendar.urn, since, on, whole)
    return [
        view.over(marks.get(view.upn, []), None) if view.upn in whole else view for view in views
    ]
