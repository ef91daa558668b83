"""Per-pupil weekly tallies of the marks: what lets a sweep in July cost what one in September does.

A trigger on `marks` records every school day that gains a version in `mark_days_dirty`; before
a sweep reads the part of the year behind its raw-mark window, it recounts the weeks of those
days for the school's pupils (`refresh_tallies`) from the latest version of each mark. A sweep
then sums at most one row per pupil and week instead of grouping every mark of the year.

DESIGN.md "What a sweep sees" stays exact: a week is counted from its latest versions, so its
row is used only when nothing in it was recorded after the sweep's own time (`recorded_max`);
a pupil with a later version anywhere in that part of the year is counted from the marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from casework.core.calendar import RegisterSession, monday_of
from casework.core.codes import CODES, ILLNESS, CodeClass
from casework.core.marks import SessionMark
from casework.core.measures import AttendanceMeasures, PriorTotals
from casework.db.driver_rows import as_date, driver_rows, memo_dates
from casework.db.tables import Mark, MarkCounts, MarkDayDirty, MarkSpanTotal, MarkWeek

_MARKS = Mark.__table__  # type: ignore[attr-defined]
_WEEKS = MarkWeek.__table__  # type: ignore[attr-defined]
_DIRTY = MarkDayDirty.__table__  # type: ignore[attr-defined]
_SPANS = MarkSpanTotal.__table__  # type: ignore[attr-defined]
# The counted columns of a week and of a span, in the models' order: the measures' fields
# first, in their order, so that a row's first counts build AttendanceMeasures as they stand.
_COUNTS = tuple(name for name in MarkCounts.model_fields if name != "recorded_max")
_MEASURED = len(fields(AttendanceMeasures))
if _COUNTS[:_MEASURED] != tuple(f.name for f in fields(AttendanceMeasures)):
    raise ImportError("MarkCounts must begin with AttendanceMeasures' fields, in their order")
_ILLNESS_SESSIONS, _N_SESSIONS = _COUNTS.index("illness_sessions"), _COUNTS.index("n_sessions")


def _codes(*classes: CodeClass) -> list[str]:
    return sorted(code for code, info in CODES.items() if info.klass in classes)


def _monday(column: Any, dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc("week", column), sa.Date)
    # SQLite: forward to Sunday (or stay on it), then back six days: Monday of a Mon-Sun week.
    return sa.func.date(column, "weekday 0", "-6 days")


def latest_versions(
    dialect: str, where: Iterable[sa.ColumnElement[bool]], slot_only: bool = False
) -> sa.Subquery:
    """The latest version of each slot (pupil, date, session) among the marks `where` picks:
    upn, urn, school_date, session, code, minutes_late, recorded_at."""
    c = _MARKS.c
    slot = (c.upn, c.school_date, c.session)
    if dialect == "sqlite":
        # SQLite documents that a bare column next to max() comes from the row holding the
        # maximum; (upn, date, session, recorded_at) is unique, so that row is the one version.
        top = sa.func.max(c.recorded_at).label("recorded_at")
        return (
            sa.select(*slot, c.urn, c.code, c.minutes_late, top)
            .where(*where)
            .group_by(*slot)
            .subquery()
        )
    from sqlalchemy.dialects.postgresql import distinct_on

    return (
        sa.select(*slot, c.urn, c.code, c.minutes_late, c.recorded_at)
        .ext(distinct_on(*slot))
        .where(*where)
        .order_by(*slot, c.recorded_at.desc())
        .subquery()
    )


def _week_counts(latest: sa.Subquery, dialect: str) -> sa.Select[Any]:
    code = latest.c.code

    def sessions(codes: Iterable[str]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((code.in_(list(codes)), 1), else_=0))

    week = _monday(latest.c.school_date, dialect)
    late = sorted(c for c, info in CODES.items() if info.is_late)
    return sa.select(
        latest.c.upn,
        week.label("week_start"),
        sessions(_codes(*(k for k in CodeClass if k is not CodeClass.NOT_POSSIBLE))),
        sessions(_codes(CodeClass.PRESENT)),
        sessions(_codes(CodeClass.EDUCATIONAL)),
        sessions(_codes(CodeClass.AUTHORISED)),
        sessions(_codes(CodeClass.UNAUTHORISED)),
        sessions(late),
        sessions(sorted(ILLNESS)),
        sessions(["N"]),
        sa.func.max(latest.c.recorded_at),
    ).group_by(latest.c.upn, week)


def refresh_tallies(session: Session, urn: str, before: date) -> int:
    """Recount the school's weeks that gained marks dated before `before`; pupil-weeks recounted.

    The dirty days are claimed (deleted) first: a mark inserted meanwhile dirties its day again,
    so nothing is lost to a concurrent import on PostgreSQL.
    """
    d = _DIRTY.c
    claimed = session.execute(
        sa.delete(_DIRTY).where(d.urn == urn, d.school_date < before).returning(d.school_date)
    ).scalars()
    weeks = sorted({monday_of(as_date(day)) for day in claimed})
    if not weeks:
        return 0
    dialect = session.get_bind().dialect.name
    c, w = _MARKS.c, _WEEKS.c
    session.execute(sa.delete(_WEEKS).where(w.urn == urn, w.week_start.in_(weeks)))
    spans = _SPANS.c  # kept sums that include a recounted week are sums of old counts
    session.execute(
        sa.delete(_SPANS).where(
            spans.urn == urn, spans.first_week <= weeks[-1], spans.window_start > weeks[0]
        )
    )
    recounted = 0
    for week in weeks:
        latest = latest_versions(
            dialect, (c.urn == urn, c.school_date.between(week, week + timedelta(days=6)))
        )
        rows = [
            {"urn": urn, "week_start": week, "upn": upn, "recorded_max": recorded_max}
            | dict(zip(_COUNTS, counts, strict=True))
            for upn, _, *counts, recorded_max in session.execute(_week_counts(latest, dialect))
        ]
        if rows:
            session.execute(sa.insert(_WEEKS), rows)
        recounted += len(rows)
    return recounted


def refresh_all(session: Session) -> int:
    """Recount every dirty week of every school (after a bulk load or the 0002 migration)."""
    urns = session.execute(sa.select(_DIRTY.c.urn).distinct()).scalars().all()
    return sum(refresh_tallies(session, urn, date.max) for urn in urns)


def first_counted_week(year_start: date, window_start: date) -> date:
    """Where the tallied span behind a window begins: the year's first Monday (the days before
    it are counted from the marks), or the window's own start if that comes first."""
    return min(monday_of(year_start + timedelta(days=6)), window_start)


def keep_span_totals(
    session: Session,
    urn: str,
    first_week: date,
    window_start: date,
    keep: tuple[date, date] | None = None,
) -> None:
    """Keep the school's sums over first_week..window_start, for every sweep until the span
    moves: the span kept before it (if no week inside it was recounted since) plus the weeks
    between, or else the whole span from the weekly tallies. Other spans of the school are
    dropped, but for `keep` (first week, window start): the span still read until this one's
    window begins, when this one is kept ahead of it.

    One INSERT ... SELECT: the database adds up the span before, the weeks since and their N
    slots still open, so no pupil's row passes through Python (a week's span moves for every
    school at once).
    """
    s = _SPANS.c
    kept = sa.select(s.window_start).where(
        s.urn == urn, s.first_week == first_week, s.window_start <= window_start
    )
    since = session.execute(kept.order_by(s.window_start.desc()).limit(1)).scalar()
    since = None if since is None else as_date(since)
    if since == window_start:
        return
    move, drop = _span_move(session.get_bind().dialect.name, since is not None)
    kept_first_week, kept_window_start = keep or (first_week, window_start)
    values = {
        "urn": urn,
        "first_week": first_week,
        "window_start": window_start,
        "since": since,
        "start": since or first_week,
        "kept_first_week": kept_first_week,
        "kept_window_start": kept_window_start,
    }
    session.execute(move, values)
    session.execute(drop, values)


@lru_cache(maxsize=8)
def _span_move(dialect: str, from_kept: bool) -> tuple[sa.Insert, sa.Delete]:
    """The statements that move a school's span, with the school and the dates as parameters:
    built once a process, not once a school (building them cost as much as running them)."""
    s, w = _SPANS.c, _WEEKS.c
    urn = sa.bindparam("urn", type_=sa.String)
    first_week, window_start = (
        sa.bindparam(n, type_=sa.Date) for n in ("first_week", "window_start")
    )
    since, start = (sa.bindparam(n, type_=sa.Date) for n in ("since", "start"))
    parts = [
        sa.select(
            w.upn, *(w[name] for name in _COUNTS), w.recorded_max, sa.null().label("slot")
        ).where(w.urn == urn, w.week_start >= start, w.week_start < window_start)
    ]
    if from_kept:
        span = (s.urn == urn, s.first_week == first_week, s.window_start == since)
        before = (*(s[name] for name in _COUNTS), s.recorded_max, sa.func.nullif(s.n_open, ""))
        parts.append(sa.select(s.upn, *before).where(*span))
    n = _unresolved_n_query(urn, start, window_start, None, None).subquery()
    slot = sa.cast(n.c.school_date, sa.String) + ":" + n.c.session
    zeros = (sa.literal(0) for _ in _COUNTS)
    parts.append(sa.select(n.c.upn, *zeros, sa.null(), slot))
    every = sa.union_all(*parts).subquery()
    summed = (
        sa.select(
            urn,
            first_week,
            window_start,
            every.c.upn,
            *(sa.func.sum(every.c[name]) for name in _COUNTS),
            sa.func.max(every.c.recorded_max),
            sa.func.coalesce(_joined_texts(dialect, every.c.slot), ""),
        )
        .group_by(every.c.upn)
        .having(sa.func.max(every.c.recorded_max).is_not(None))
    )
    columns = ["urn", "first_week", "window_start", "upn", *_COUNTS, "recorded_max", "n_open"]
    kept_first_week, kept_window_start = (
        sa.bindparam(n, type_=sa.Date) for n in ("kept_first_week", "kept_window_start")
    )
    moved = sa.and_(
        sa.or_(s.first_week != first_week, s.window_start != window_start),
        sa.or_(s.first_week != kept_first_week, s.window_start != kept_window_start),
    )
    return (
        sa.insert(_SPANS).from_select(columns, summed),
        sa.delete(_SPANS).where(s.urn == urn, moved),
    )


def _joined_texts(dialect: str, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The group's texts that are not null, joined by commas in no promised order."""
    if dialect == "postgresql":
        return sa.func.string_agg(column, ",")
    return sa.func.group_concat(column, ",")


def _open_slots(text: str, day_of: Callable[[str], date]) -> list[SessionMark]:
    # Sorted here: the database joins a span's slots in no promised order.
    sessions = {s.value: s for s in RegisterSession}
    return [
        SessionMark(day_of(slot[:10]), sessions[slot[11:]], "N")
        for slot in sorted(text.split(","))
        if slot
    ]


def _span_sums(
    session: Session, urn: str, first_week: date, window_start: date, at: datetime, pupils: Any
) -> tuple[list[Any], bool]:
    """Per pupil: the sums, whether a version is later than `at`, and the unresolved N slots
    (None: not kept); from the kept span when the sweep kept it, else summed from the weeks."""
    s, w = _SPANS.c, _WEEKS.c
    span = (s.urn == urn, s.first_week == first_week, s.window_start == window_start)
    kept = sa.select(s.upn, *(s[name] for name in _COUNTS), s.recorded_max > at, s.n_open)
    kept = kept.where(*span)
    if pupils is not None:
        kept = kept.where(s.upn.in_(pupils))
    rows = driver_rows(session, kept)
    if rows or session.execute(sa.select(s.upn).where(*span).limit(1)).first() is not None:
        return rows, True
    summed = (
        sa.select(
            w.upn,
            *(sa.func.sum(w[name]) for name in _COUNTS),
            sa.func.max(w.recorded_max) > at,
            sa.null(),
        )
        .where(w.urn == urn, w.week_start >= first_week, w.week_start < window_start)
        .group_by(w.upn)
    )
    if pupils is not None:
        summed = summed.where(w.upn.in_(pupils))
    return driver_rows(session, summed), False


@dataclass(frozen=True)
class TalliedPrior:
    """The tallied part of the year for a school's pupils, and who must be counted exactly."""

    totals: dict[str, PriorTotals]
    stale: frozenset[str]  # a version in their weeks was recorded after the sweep's time


def tallied_prior(
    session: Session,
    urn: str,
    first_week: date,
    window_start: date,
    at: datetime,
    only: Collection[str] | None = None,
) -> TalliedPrior:
    """Per pupil: the weeks first_week..window_start (exclusive) summed from the tallies."""
    pupils = None if only is None else sorted(only)
    # Days not yet recounted (marks imported since the sweep refreshed the tallies): every
    # pupil of the school is counted exactly.
    stale = set(_marked_on_dirty_days(session, urn, first_week, window_start, only))
    sums: dict[str, tuple[int, ...]] = {}
    kept_n: dict[str, str] = {}
    rows, from_span = _span_sums(session, urn, first_week, window_start, at, pupils)
    for upn, *counts, later, n_open in rows:
        if later:
            stale.add(upn)
        elif upn not in stale:
            sums[upn] = tuple(map(int, counts))  # in _COUNTS order
            kept_n[upn] = n_open or ""
    if from_span:  # every version in a pupil's span is visible at `at`: its N slots stand
        day_of = memo_dates()
        open_n = {upn: _open_slots(text, day_of) for upn, text in kept_n.items() if text}
    else:
        with_n = {u for u, counts in sums.items() if counts[_N_SESSIONS]}
        open_n = _unresolved_n(session, urn, first_week, window_start, at, with_n)
    totals = {
        upn: PriorTotals(
            window_start,
            AttendanceMeasures(*s[:_MEASURED]),
            s[_ILLNESS_SESSIONS],
            tuple(open_n.get(upn, ())),
        )
        for upn, s in sums.items()
    }
    return TalliedPrior(totals, frozenset(stale))


def _marked_on_dirty_days(
    session: Session, urn: str, since: date, before: date, only: Collection[str] | None
) -> list[str]:
    """The school's pupils, if a day since..before is not yet recounted; else none."""
    d, c = _DIRTY.c, _MARKS.c
    dirty = sa.select(d.school_date).where(
        d.urn == urn, d.school_date >= since, d.school_date < before
    )
    if session.execute(dirty.limit(1)).first() is None:
        return []
    marked = sa.select(c.upn).where(c.urn == urn, c.school_date >= since, c.school_date < before)
    if only is not None:
        marked = marked.where(c.upn.in_(sorted(only)))
    return list(session.execute(marked.distinct()).scalars())


def week_sums(
    session: Session, urn: str, since: date, before: date, at: datetime, pupils: Collection[str]
) -> tuple[dict[str, tuple[AttendanceMeasures, int]], frozenset[str]]:
    """Per pupil of `pupils`, the weeks since..before (exclusive) summed from the tallies:
    sessions by class and days ill; and the pupils with a version there recorded after `at`."""
    w = _WEEKS.c
    measured = ("possible", "present", "educational", "authorised", "unauthorised", "late")
    query = (
        sa.select(
            w.upn,
            *(sa.func.sum(w[name]) for name in measured),
            sa.func.sum(w.illness_sessions),
            sa.func.max(w.recorded_max) > at,
        )
        .where(
            w.urn == urn, w.week_start >= since, w.week_start < before, w.upn.in_(sorted(pupils))
        )
        .group_by(w.upn)
    )
    sums: dict[str, tuple[AttendanceMeasures, int]] = {}
    later: set[str] = set()
    for upn, *counts, ill, after in driver_rows(session, query):
        if after:
            later.add(upn)
        sums[upn] = (AttendanceMeasures(*(int(n) for n in counts)), int(ill))
    return sums, frozenset(later)


WeekCounts = tuple[date, int, int]  # Monday, G N O U sessions, L or U sessions


def weekly_counts(
    session: Session, urn: str, since: date, before: date, at: datetime
) -> tuple[dict[str, tuple[WeekCounts, ...]], frozenset[str]]:
    """Per pupil, the unauthorised (G N O U) and late (L U) sessions of each week since..before
    (exclusive) that has any; and the pupils whose weeks there cannot be read from the tallies
    (a later version, or a day not yet recounted), who must be read from the marks."""
    if before <= since:
        return {}, frozenset()
    w = _WEEKS.c
    unreadable = set(_marked_on_dirty_days(session, urn, since, before, None))
    later = w.recorded_max > at
    # Only the weeks that say something: most pupil-weeks have neither, and each row read
    # costs Python far more than the database's test of it.
    query = sa.select(
        w.upn, sa.type_coerce(w.week_start, sa.String), w.unauthorised, w.late, later
    ).where(
        w.urn == urn,
        w.week_start >= since,
        w.week_start < before,
        sa.or_(w.unauthorised > 0, w.late > 0, later),
    )
    weeks: dict[str, list[WeekCounts]] = defaultdict(list)
    monday = memo_dates()
    for upn, week, unauthorised, late, later in driver_rows(session, query):
        if later:
            unreadable.add(upn)
        elif unauthorised or late:
            weeks[upn].append((monday(week), unauthorised, late))
    found = {u: tuple(sorted(counts)) for u, counts in weeks.items() if u not in unreadable}
    return found, frozenset(unreadable)


def _unresolved_n(
    session: Session,
    urn: str,
    since: date,
    before: date,
    at: datetime | None,
    upns: set[str] | None,
) -> dict[str, list[SessionMark]]:
    """Slots dated since..before whose latest version visible at `at` (None: every version) is
    N, for `upns` (None: every pupil of the school)."""
    if upns is not None and not upns:
        return {}
    query = _unresolved_n_query(urn, since, before, at, upns)
    # The driver's rows, converted here once per distinct value: a large LA has hundreds of
    # thousands of N marks never resolved, and SQLAlchemy's row processing was most of the cost.
    slot = query.selected_columns
    rows = driver_rows(session, query.order_by(slot.school_date, slot.session))
    day_of = memo_dates()
    sessions = {s.value: s for s in RegisterSession}
    found: dict[str, list[SessionMark]] = defaultdict(list)
    for upn, day, session_ in rows:
        found[upn].append(SessionMark(day_of(day), sessions[session_], "N"))
    return found


def _unresolved_n_query(
    urn: str | sa.BindParameter[str],
    since: date | sa.BindParameter[date],
    before: date | sa.BindParameter[date],
    at: datetime | None,
    upns: set[str] | None,
) -> sa.Select[Any]:
    n = _MARKS.alias("n")
    newer = _MARKS.alias("newer")
    later_version = (
        sa.select(sa.literal(1))
        .where(
            newer.c.upn == n.c.upn,
            newer.c.school_date == n.c.school_date,
            newer.c.session == n.c.session,
            newer.c.recorded_at > n.c.recorded_at,
            *(() if at is None else (newer.c.recorded_at <= at,)),
        )
        .exists()
    )
    return sa.select(n.c.upn, n.c.school_date, n.c.session).where(
        n.c.urn == urn,
        # A literal, not a parameter: the planner matches it to the partial index on N marks.
        n.c.code == sa.literal_column("'N'"),
        n.c.school_date >= since,
        n.c.school_date < before,
        *(() if at is None else (n.c.recorded_at <= at,)),
        *(() if upns is None else (n.c.upn.in_(sorted(upns)),)),
        ~later_version,
    )
