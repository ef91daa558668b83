"""Year-to-date totals of the marks before a sweep's recent window, counted by the database.

A sweep late in the year must not rebuild a year of marks in Python. The rules need only a
recent window of raw marks (episodes, 10- and 20-day runs, lateness, the legal threshold,
recovery); for the rest of the year they need counts. These are a GROUP BY over the latest
version of each slot that the sweep may see (DESIGN.md "What a sweep sees": a version recorded
after the sweep's time is invisible), so the totals are exact, not cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from casework.core.calendar import (
    RegisterSession,
    SchoolCalendar,
    SweepPoint,
    academic_year_start,
    monday_of,
)
from casework.core.codes import ILLNESS
from casework.core.marks import MarkVersion, SessionMark, visible_marks
from casework.core.measures import (
    AttendanceMeasures,
    PriorTotals,
    add_measures,
    measures_from_codes,
)
from casework.db.driver_rows import as_date, driver_rows, memo_result
from casework.db.tables import Mark
from casework.db.weekly_tallies import first_counted_week, latest_versions, tallied_prior

_MARKS = Mark.__table__  # type: ignore[attr-defined]
# How far back a sweep reads marks beyond the academic year start: the legal threshold's
# 10 school weeks and the 20-day runs can reach across the summer into the previous year.
LOOKBACK = timedelta(weeks=26)


def visible_window(
    session: Session, urn: str, since: date, on: SweepPoint, only: Collection[str] | None
) -> dict[str, list[SessionMark]]:
    """Each pupil's marks since `since` as the sweep `on` sees them, in register order; the same
    answer as casework.core.marks.visible_marks, with the picking done by the database."""
    c = _MARKS.c
    up_to_now = sa.or_(
        c.school_date < on.school_date,
        sa.and_(c.school_date == on.school_date, c.session <= on.session.value),
    )
    visible = [c.urn == urn, _dates_from(since, on.school_date, only), up_to_now]
    visible.append(c.recorded_at <= on.at)
    if only is not None:
        visible.append(c.upn.in_(sorted(only)))
    # Every visible version in the index's order (day, pupil, session, time), which needs no
    # sort: a slot's versions arrive together and the last is the one the sweep sees. Picking
    # it here costs less than the database's GROUP BY (a third of the read at 100,000 pupils).
    query = (
        sa.select(
            c.upn,
            sa.type_coerce(c.school_date, sa.String),
            c.session,
            c.code,
            c.minutes_late,
        )
        .where(*visible)
        .order_by(c.school_date, c.upn, c.session, c.recorded_at)
    )
    day_of = memo_result(session, _MARKS.c.school_date)
    sessions = {s.value: s for s in RegisterSession}
    # A school's window holds few distinct marks (a day, a session, a code): one object each.
    shared: dict[tuple[Any, ...], SessionMark] = {}
    by_upn: dict[str, list[SessionMark]] = defaultdict(list)
    last_upn: str | None = None
    last_day: Any = None
    last_session: str | None = None
    for upn, day, session_, code, late in driver_rows(session, query):
        key = (day, session_, code, late)
        found = shared.get(key)
        if found is None:
            found = shared[key] = SessionMark(day_of(day), sessions[session_], code, late)
        if upn == last_upn and day == last_day and session_ == last_session:
            by_upn[upn][-1] = found  # a later version of the same slot
        else:
            by_upn[upn].append(found)
            last_upn, last_day, last_session = upn, day, session_
    return by_upn


# Up to this many pupils, a read names each day of its range: the index on (urn, school_date,
# upn, ...) is then searched for each (day, pupil) instead of scanned across the school's every
# mark of the range (a year's read for two pupils: 5 ms instead of 14 ms at 100,000 pupils).
FEW_PUPILS = 64


def _dates_from(since: date, until: date, only: Collection[str] | None) -> sa.ColumnElement[bool]:
    school_date: sa.ColumnElement[date] = _MARKS.c.school_date
    if only is None or len(only) > FEW_PUPILS:
        # Closed at `until`: a database loaded ahead of its sweeps (a backfill, the bench)
        # holds later marks, and an open range would scan them all.
        return school_date.between(since, until)
    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    return school_date.in_(days)


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
    query = _prior_query(session.get_bind().dialect.name, only is not None)
    values: dict[str, Any] = {"urn": urn, "since": since, "before": window_start, "at": at}
    if only is not None:
        values["only"] = sorted(only)
    codes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    illness: dict[str, int] = defaultdict(int)
    open_n: dict[str, list[SessionMark]] = defaultdict(list)
    for upn, code, day, session_, sessions in session.execute(query, values):
        codes[upn][code] += sessions
        if code in ILLNESS:
            illness[upn] += sessions  # rule 10: illness is counted in sessions
        if day is not None:
            open_n[upn].append(SessionMark(as_date(day), RegisterSession(session_), code))
    return {
        upn: PriorTotals(
            window_start,
            measures_from_codes(counts),
            illness[upn],
            tuple(sorted(open_n[upn], key=lambda m: (m.school_date, m.session))),
        )
        for upn, counts in codes.items()
    }


@lru_cache(maxsize=8)
def _prior_query(dialect: str, some_pupils: bool) -> sa.Select[Any]:
    """`prior_totals`' GROUP BY with the school, dates, time and pupils as parameters: built
    once a process, not once a school."""
    c = _MARKS.c
    visible = [
        c.urn == sa.bindparam("urn"),
        c.school_date >= sa.bindparam("since"),
        c.school_date < sa.bindparam("before"),
        c.recorded_at <= sa.bindparam("at"),
    ]
    if some_pupils:
        visible.append(c.upn.in_(sa.bindparam("only", expanding=True)))
    latest = latest_versions(dialect, visible)
    n_date = sa.case((latest.c.code == "N", latest.c.school_date), else_=None)
    n_session = sa.case((latest.c.code == "N", latest.c.session), else_=None)
    return sa.select(
        latest.c.upn,
        latest.c.code,
        n_date,
        n_session,
        sa.func.count(),
    ).group_by(latest.c.upn, latest.c.code, n_date, n_session)


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
    day_of = memo_result(session, _MARKS.c.school_date)
    time_of = memo_result(session, _MARKS.c.recorded_at)
    sessions = {s.value: s for s in RegisterSession}
    return [
        MarkVersion(upn, day_of(d), sessions[s], code, late, time_of(recorded))
        for upn, d, s, code, late, recorded in session.execute(stmt)
    ]


def whole_year_marks(
    session: Session, calendar: SchoolCalendar, on: SweepPoint, only: Collection[str] | None
) -> dict[str, list[SessionMark]]:
    """Each pupil's visible marks from LOOKBACK before the academic year to the sweep point."""
    since = academic_year_start(on.school_date) - LOOKBACK
    versions = _mark_versions(session, calendar.urn, since, on.school_date, only)
    return visible_marks(versions, on)


def year_prior(
    session: Session,
    urn: str,
    year_start: date,
    window_start: date,
    at: datetime,
    only: Collection[str] | None,
) -> tuple[dict[str, PriorTotals], frozenset[str]]:
    """What `prior_totals` answers for year_start..window_start, from the weekly tallies; and
    the pupils counted from the marks instead (a version recorded after `at`).

    Whole weeks come from the tallies; the days before the year's first Monday (1 August is
    rarely one) and every pupil with a version recorded after `at` are counted from the marks.
    """
    if window_start <= year_start:
        return {}, frozenset()
    first_week = first_counted_week(year_start, window_start)
    head = prior_totals(session, urn, year_start, first_week, at, only)
    tallied = tallied_prior(session, urn, first_week, window_start, at, only)
    body = dict(tallied.totals)
    if tallied.stale:
        body |= prior_totals(session, urn, first_week, window_start, at, tallied.stale)
    joined = {
        upn: _joined(window_start, head.get(upn), body.get(upn)) for upn in set(head) | set(body)
    }
    return joined, tallied.stale


def _joined(window_start: date, *parts: PriorTotals | None) -> PriorTotals:
    """Totals of disjoint spans together, ending at `window_start`."""
    found = [p for p in parts if p is not None]
    if len(found) == 1 and found[0].window_start == window_start:
        return found[0]  # the usual case: the year began on a Monday, all of it tallied
    measures = found[0].measures
    for part in found[1:]:
        measures = add_measures(measures, part.measures)
    return PriorTotals(
        window_start,
        measures,
        sum(p.illness_sessions for p in found),
        tuple(m for p in found for m in p.unresolved_n),
    )


def year_to_date(
    session: Session, urn: str, on: date, at: datetime
) -> dict[str, AttendanceMeasures]:
    """Each pupil's measures at the school from the academic year's start to `on` inclusive,
    from the latest version of each mark recorded by `at`: the tallies for the whole weeks
    before `on`'s week (exact, as the sweep reads them), the marks for the rest."""
    year_start = academic_year_start(on)
    window_start = max(monday_of(on), year_start)
    before, _stale = year_prior(session, urn, year_start, window_start, at, None)
    week = prior_totals(session, urn, window_start, on + timedelta(days=1), at)
    out = {upn: prior.measures for upn, prior in before.items()}
    for upn, prior in week.items():
        held = out.get(upn)
        out[upn] = prior.measures if held is None else add_measures(held, prior.measures)
    return out
