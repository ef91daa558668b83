"""Year-to-date totals of the marks before a sweep's recent window, counted by the database.

A sweep late in the year must not rebuild a year of marks in Python. The rules need only a
recent window of raw marks (episodes, 10- and 20-day runs, lateness, the legal threshold,
recovery); for the rest of the year they need counts. These are a GROUP BY over the latest
version of each slot that the sweep may see (DESIGN.md "What a sweep sees": a version recorded
after the sweep's time is invisible), so the totals are exact, not cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session

from casework.calendar import RegisterSession, SchoolCalendar, SweepPoint, academic_year_start
from casework.codes import ILLNESS
from casework.db.tables import Mark
from casework.ladder.view import PupilView, needs_whole_history
from casework.marks import MarkVersion, SessionMark, visible_marks
from casework.measures import PriorTotals, measures_from_codes

_MARKS = Mark.__table__  # type: ignore[attr-defined]
# How far back a sweep reads marks beyond the academic year start: the legal threshold's
# 10 school weeks and the 20-day runs can reach across the summer into the previous year.
LOOKBACK = timedelta(weeks=26)


def _latest_visible(
    dialect: str, visible: tuple[sa.ColumnElement[bool], ...], only: Collection[str] | None
) -> sa.Subquery:
    """The latest version of each slot among the `visible` ones: upn, date, session, code, late."""
    c = _MARKS.c
    slot = (c.upn, c.school_date, c.session)
    if only is not None:
        visible = (*visible, c.upn.in_(sorted(only)))
    if dialect == "sqlite":
        # SQLite documents that a bare column next to max() comes from the row holding the
        # maximum; (upn, date, session, recorded_at) is unique, so that row is the one version.
        top = sa.func.max(c.recorded_at)
        return (
            sa.select(*slot, c.code, c.minutes_late, top).where(*visible).group_by(*slot).subquery()
        )
    return (
        sa.select(*slot, c.code, c.minutes_late)
        .ext(distinct_on(*slot))
        .where(*visible)
        .order_by(*slot, c.recorded_at.desc())
        .subquery()
    )


def visible_window(
    session: Session, urn: str, since: date, on: SweepPoint, only: Collection[str] | None
) -> dict[str, list[SessionMark]]:
    """Each pupil's marks since `since` as the sweep `on` sees them, in register order; the same
    answer as casework.marks.visible_marks, with the picking done by the database."""
    c = _MARKS.c
    up_to_now = sa.or_(
        c.school_date < on.school_date,
        sa.and_(c.school_date == on.school_date, c.session <= on.session.value),
    )
    visible = (c.urn == urn, c.school_date >= since, up_to_now, c.recorded_at <= on.at)
    latest = _latest_visible(session.get_bind().dialect.name, visible, only)
    query = sa.select(
        latest.c.upn,
        sa.type_coerce(latest.c.school_date, sa.String),
        latest.c.session,
        latest.c.code,
        latest.c.minutes_late,
    ).order_by(latest.c.upn, latest.c.school_date, latest.c.session)
    as_date = _memo_result(session, "school_date")
    sessions = {s.value: s for s in RegisterSession}
    by_upn: dict[str, list[SessionMark]] = defaultdict(list)
    for upn, day, session_, code, late in session.execute(query):
        by_upn[upn].append(SessionMark(as_date(day), sessions[session_], code, late))
    return by_upn


def prior_totals(
    session: Session,
    urn: str,
    since: date,
    window_start: date,
    at: datetime,
    only: Collection[str] | None = None,
) -> dict[str, PriorTotals]:
    """Per pupil of the school: the visible marks dated since..window_start (exclusive)."""
    if window_start <= since:
        return {}
    c = _MARKS.c
    visible = (
        c.urn == urn,
        c.school_date >= since,
        c.school_date < window_start,
        c.recorded_at <= at,
    )
    latest = _latest_visible(session.get_bind().dialect.name, visible, only)
    n_date = sa.case((latest.c.code == "N", latest.c.school_date), else_=None)
    n_session = sa.case((latest.c.code == "N", latest.c.session), else_=None)
    query = sa.select(
        latest.c.upn,
        latest.c.code,
        n_date,
        n_session,
        sa.func.count(),
        sa.func.count(sa.distinct(latest.c.school_date)),
    ).group_by(latest.c.upn, latest.c.code, n_date, n_session)
    codes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    illness: dict[str, int] = defaultdict(int)
    open_n: dict[str, list[SessionMark]] = defaultdict(list)
    for upn, code, day, session_, sessions, days in session.execute(query):
        codes[upn][code] += sessions
        if code in ILLNESS:
            illness[upn] += days  # one illness code (I): its distinct days are the days ill
        if day is not None:
            open_n[upn].append(SessionMark(_as_date(day), RegisterSession(session_), code))
    return {
        upn: PriorTotals(
            window_start,
            measures_from_codes(counts),
            illness[upn],
            tuple(sorted(open_n[upn], key=lambda m: (m.school_date, m.session))),
        )
        for upn, counts in codes.items()
    }


def _as_date(value: date | str) -> date:
    # A CASE over a date column comes back from SQLite as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _memo_result(session: Session, column: str) -> Callable[[Any], Any]:
    """The column's own result conversion, run once per distinct value (dates and register-close
    times repeat across a school's thousands of marks)."""
    dialect = session.get_bind().dialect
    convert = _MARKS.c[column].type.dialect_impl(dialect).result_processor(dialect, None)
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value) if convert is not None else value
        return seen[value]

    return cached


def _mark_versions(
    session: Session, urn: str, since: date, until: date, only: Collection[str] | None
) -> list[MarkVersion]:
    c = _MARKS.c
    # No ORDER BY: (upn, date, session, recorded_at) is unique, so no two versions of a slot
    # tie on time and visible_marks needs no input order.
    stmt = sa.select(
        c.upn,
        sa.type_coerce(c.school_date, sa.String),
        c.session,
        c.code,
        c.minutes_late,
        sa.type_coerce(c.recorded_at, sa.String),
    ).where(c.urn == urn, c.school_date >= since, c.school_date <= until)
    if only is not None:
        stmt = stmt.where(c.upn.in_(sorted(only)))
    as_date, as_time = _memo_result(session, "school_date"), _memo_result(session, "recorded_at")
    sessions = {s.value: s for s in RegisterSession}
    return [
        MarkVersion(upn, as_date(d), sessions[s], code, late, as_time(recorded))
        for upn, d, s, code, late, recorded in session.execute(stmt)
    ]


@dataclass(frozen=True)
class SweepMarks:
    """A school's visible marks for a sweep, and the counted part of the year before them."""

    by_upn: dict[str, list[SessionMark]]
    priors: dict[str, PriorTotals] | None
    window_start: date

    def prior(self, upn: str) -> PriorTotals | None:
        if self.priors is None:
            return None
        empty = PriorTotals(self.window_start, measures_from_codes({}), 0, ())
        return self.priors.get(upn, empty)


def load_marks(
    session: Session,
    calendar: SchoolCalendar,
    on: SweepPoint,
    only: Collection[str] | None,
    window_weeks: int | None,
) -> SweepMarks:
    urn, today = calendar.urn, on.school_date
    year_start = academic_year_start(today)
    if window_weeks is None:
        since = year_start - LOOKBACK
        return SweepMarks(
            visible_marks(_mark_versions(session, urn, since, today, only), on), None, since
        )
    window_start = calendar.school_week_start(today, window_weeks)
    marks = visible_window(session, urn, window_start, on, only)
    priors = prior_totals(session, urn, year_start, window_start, on.at, only)
    return SweepMarks(marks, priors, window_start)


def with_whole_history(session: Session, views: list[PupilView]) -> list[PupilView]:
    """Pupils whose runs or notice period reach past the window: their marks in full."""
    short = {view.upn for view in views if needs_whole_history(view)}
    if not short:
        return views
    on = views[0].on
    since = academic_year_start(on.school_date) - LOOKBACK
    urn = views[0].calendar.urn
    marks = visible_window(session, urn, since, on, short)
    return [
        replace(view, marks=marks.get(view.upn, []), prior=None) if view.upn in short else view
        for view in views
    ]
