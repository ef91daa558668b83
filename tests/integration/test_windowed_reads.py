"""A sweep's snapshot, read on windows from the database, decides as the whole year read does.

Pupils with runs of absence of five weeks (read back over the counted weeks), a whole term away
(read whole), lateness, and absence explained days later (a later version of the slot), swept
day by day through a term, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from casework.core.calendar import RegisterSession, academic_year_start
from casework.core.ladder.engine import decide
from casework.core.ladder.view import PupilView
from casework.core.ladder.window import SHORT_WEEKS, counted_weeks
from casework.core.marks import SessionMark
from casework.core.policy import load_policy
from casework.db.driver_rows import as_date
from casework.db.session import read_snapshot, unit_of_work
from casework.db.snapshots import SchoolSnapshot, load_calendar, load_school
from casework.db.tables import CalendarEntry, MarkDayDirty, MarkSpanTotal
from casework.db.weekly_tallies import first_counted_week, keep_span_totals, refresh_tallies
from casework.service.sweeping.sweep import keep_counts
from tests.factories import make_term_rows
from tests.support.mark_rows import mark_row
from tests.support.outbox_data import URN, create_family, upn_for

POLICY = load_policy()
TERM = (date(2025, 9, 3), date(2025, 12, 19))


def _pattern(n: int, rng: random.Random, day_number: int) -> str:
    if n == 0:  # away three to six weeks at a time, present a week or two between
        return "O" if (day_number // 5) % 7 not in (0, 1) else "/"
    if n == 1:  # never in school this term
        return "N"
    if n == 2:
        return rng.choice(["/"] * 6 + ["L", "U"])
    return rng.choice(["/"] * 12 + ["O", "G", "I", "M", "N"])


def _store(engine: Engine, pupils: int) -> list[date]:
    rng = random.Random(11)
    with unit_of_work(engine) as db:
        for row in make_term_rows():
            db.add(CalendarEntry(urn="", entry_date=row.entry_date, kind=row.kind, sessions=""))
        for n in range(pupils):
            create_family(db, n, mobile="07700900123")
        db.flush()
        days = load_calendar(db, URN, TERM[0]).school_days(*TERM)
        for number, day in enumerate(days):
            for session, hour in (("AM", 9), ("PM", 14)):
                at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
                for n in range(pupils):
                    code = _pattern(n, rng, number)
                    db.add(mark_row(upn_for(n), day, session, code, at))
                    if n >= 3 and code in "OG" and rng.random() < 0.5:
                        # Explained later: seen by sweeps from two days on, not before.
                        db.add(mark_row(upn_for(n), day, session, "I", at + timedelta(days=2)))
    return days


def _still_n(view: PupilView) -> list[SessionMark]:
    return [m for m in view.n_marks if m.code == "N"]


def _as_the_whole_year(engine: Engine, day: date) -> SchoolSnapshot:
    """The AM sweep's snapshot of `day`, read on windows, after checking that every pupil's
    measures, N slots and decisions are those of the whole year read."""
    with read_snapshot(engine) as db:
        windowed = load_school(db, URN, day, RegisterSession.AM, window_for=POLICY)
        whole = load_school(db, URN, day, RegisterSession.AM)
    assert windowed is not None
    assert whole is not None
    for cut, full in zip(windowed.pupils, whole.pupils, strict=True):
        assert cut.measures == full.measures, (day, cut.upn)
        assert _still_n(cut) == _still_n(full), (day, cut.upn)
        assert decide(cut, POLICY) == decide(full, POLICY), (day, cut.upn)
    return windowed


def test_windowed_snapshots_decide_as_the_whole_year(engine: Engine) -> None:
    days = _store(engine, 6)
    compared = read_back = 0
    for day in days[20::3]:
        with unit_of_work(engine) as db:  # the sweep's write step
            calendar = load_calendar(db, URN, day)
            window_start = calendar.school_week_start(day, SHORT_WEEKS)
            counted_start = calendar.school_week_start(day, counted_weeks(POLICY))
            refresh_tallies(db, URN, window_start)
            first_week = first_counted_week(academic_year_start(day), window_start)
            keep_span_totals(db, URN, first_week, window_start)
        windowed = _as_the_whole_year(engine, day)
        compared += len(windowed.pupils)
        away, never = windowed.pupils[0], windowed.pupils[1]
        if day - timedelta(weeks=14) > TERM[0]:  # their run began before the counted weeks
            assert never.prior is None, day
        if away.marks and all(m.code == "O" for m in away.marks[-20:]):
            read_back += 1  # away since before the short window: read over the counted weeks
            assert away.prior is not None, day
            assert away.prior.window_start == counted_start, day
    assert compared == 6 * len(days[20::3])
    assert read_back >= 3


def _kept_spans(engine: Engine) -> set[date]:
    with read_snapshot(engine) as db:
        column = MarkSpanTotal.__table__.c.window_start  # type: ignore[attr-defined]
        return {as_date(d) for d in db.execute(sa.select(column).distinct()).scalars()}


def test_the_weeks_last_sweep_keeps_the_next_weeks_span(engine: Engine) -> None:
    """A Monday's sweep finds its span kept by the week's last sweep, and counts as the whole
    year does, also when a register of the week leaving its window was amended in between."""
    days = _store(engine, 6)
    mondays = 0
    for day in days[20:]:
        for session in RegisterSession:
            with unit_of_work(engine) as db:
                calendar = load_calendar(db, URN, day)
                keep_counts(db, calendar, day, session)
        after = calendar.next_school_day(day)
        window_start = calendar.school_week_start(day, SHORT_WEEKS)
        if after is None or calendar.school_week_start(after, SHORT_WEEKS) == window_start:
            continue
        ahead = calendar.school_week_start(after, SHORT_WEEKS)
        assert {window_start, ahead} <= _kept_spans(engine), day  # today's is read until then
        with read_snapshot(engine) as db:  # the leaving week counted: Monday has nothing to move
            dirty_day = col(MarkDayDirty.school_date)
            dirty = sa.select(dirty_day).where(dirty_day < ahead)
            assert db.execute(dirty).first() is None, day
        if mondays % 2:  # the leaving week's first day explained after the week's last sweep
            evening = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
            leaving = calendar.school_days(window_start, ahead)[0]
            with unit_of_work(engine) as db:
                for n in range(6):
                    db.add(mark_row(upn_for(n), leaving, "AM", "C", evening))
        with unit_of_work(engine) as db:
            keep_counts(db, calendar, after, RegisterSession.AM)
        _as_the_whole_year(engine, after)
        mondays += 1
    assert mondays >= 8
