"""The weekly tallies answer exactly what counting the marks answers, at every sweep time.

Marks arrive the ways they do in life (an import, an amendment days later, a row written by
hand) and the tallied part of the year is compared with the exact GROUP BY over the marks,
for sweep times before, between and after the versions, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from casework.core.imports.marks import MarkRecord
from casework.db.migrate import upgrade
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import Mark, MarkDayDirty, MarkWeek
from casework.db.weekly_tallies import first_counted_week, keep_span_totals, refresh_tallies
from casework.db.year_totals import prior_totals, year_prior
from casework.service.importing.mark_store import insert_marks
from tests.support.mark_rows import mark_row
from tests.support.outbox_data import URN, ensure_school

YEAR_START = date(2025, 8, 1)
CODES = ["/", "/", "/", "/", "\\", "L", "U", "N", "O", "G", "I", "I", "M", "X", "#", "B"]
UPNS = [f"A{n:012d}" for n in range(12)]


def _school_days(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _marks(rng: random.Random) -> list[Mark]:
    """Two registers a day for 12 pupils over 8 weeks; about one slot in eight amended later."""
    rows = []
    for day in _school_days(date(2025, 9, 1), 40):
        for session in ("AM", "PM"):
            for upn in UPNS:
                closed = datetime(
                    day.year, day.month, day.day, 9 if session == "AM" else 14, tzinfo=UTC
                )
                code = rng.choice(CODES)
                rows.append(mark_row(upn, day, session, code, closed))
                for n in range(rng.choice([0] * 7 + [1, 2])):
                    later = closed + timedelta(days=rng.randint(1, 20), hours=n)
                    rows.append(mark_row(upn, day, session, rng.choice(CODES), later))
    return rows


def _store(engine: Engine, marks: list[Mark]) -> None:
    with unit_of_work(engine) as db:
        ensure_school(db)
        db.add_all(marks)


def _assert_same(engine: Engine, window_start: date, at: datetime, refresh: bool = True) -> None:
    with unit_of_work(engine) as db:
        if refresh:  # as a sweep does: recount, then keep the span's sums
            refresh_tallies(db, URN, window_start)
            keep_span_totals(db, URN, first_counted_week(YEAR_START, window_start), window_start)
        tallied, _ = year_prior(db, URN, YEAR_START, window_start, at, None)
        exact = prior_totals(db, URN, YEAR_START, window_start, at)
    assert tallied == exact, (window_start, at)


def test_tallies_agree_with_the_marks_at_every_sweep_time(engine: Engine) -> None:
    rng = random.Random(7)
    marks = _marks(rng)
    rng.shuffle(marks)
    first, second = marks[: len(marks) // 2], marks[len(marks) // 2 :]
    _store(engine, first)
    windows = [date(2025, 9, 1), date(2025, 9, 22), date(2025, 10, 13), date(2025, 10, 27)]
    times = [datetime(2025, 9, 1, 8, tzinfo=UTC), datetime(2025, 10, 1, 12, tzinfo=UTC)]
    times.append(datetime(2025, 12, 1, tzinfo=UTC))  # after every version
    for window_start in windows:
        for at in times:
            _assert_same(engine, window_start, at)
    _store(engine, second)  # later versions of weeks already tallied, and new weeks
    for at in times:  # before any sweep has recounted them: the dirty days are counted exactly
        _assert_same(engine, windows[-1], at, refresh=False)
    for at in times:  # the same span as before, recounted: its kept sums must not be reused
        _assert_same(engine, windows[-1], at)
    for window_start in windows:
        for at in times:
            _assert_same(engine, window_start, at)


def test_a_mark_written_by_any_path_dirties_its_day(engine: Engine) -> None:
    day = date(2025, 9, 3)
    _store(engine, [mark_row(UPNS[0], day, "AM", "/", datetime(2025, 9, 3, 9, tzinfo=UTC))])
    with unit_of_work(engine) as db:
        assert refresh_tallies(db, URN, date(2025, 9, 8)) == 1
        assert db.execute(sa.select(sa.func.count()).select_from(MarkDayDirty)).scalar() == 0
    amended = mark_row(UPNS[0], day, "AM", "N", datetime(2025, 9, 5, 10, tzinfo=UTC))
    _store(engine, [amended])
    with unit_of_work(engine) as db:
        assert refresh_tallies(db, URN, date(2025, 9, 8)) == 1
        week = db.get(MarkWeek, (URN, date(2025, 9, 1), UPNS[0]))
        assert week is not None
        assert (week.possible, week.present, week.unauthorised, week.n_sessions) == (1, 0, 1, 1)
        assert week.recorded_max == amended.recorded_at


def test_dirty_days_inside_the_window_wait_for_a_later_sweep(engine: Engine) -> None:
    _store(
        engine,
        [mark_row(UPNS[1], date(2025, 9, 15), "PM", "/", datetime(2025, 9, 15, 14, tzinfo=UTC))],
    )
    with Session(engine) as db:
        assert refresh_tallies(db, URN, date(2025, 9, 15)) == 0
        assert refresh_tallies(db, URN, date(2025, 9, 22)) == 1
        db.commit()


def _dirty_days(engine: Engine) -> set[tuple[str, date]]:
    with Session(engine) as db:
        rows = db.execute(sa.select(col(MarkDayDirty.urn), col(MarkDayDirty.school_date))).all()
    return {(urn, day if isinstance(day, date) else date.fromisoformat(day)) for urn, day in rows}


def test_the_bulk_import_records_its_days_and_leaves_the_trigger_in_place(engine: Engine) -> None:
    days = [date(2025, 9, 3), date(2025, 9, 4)]
    records = [
        MarkRecord(upn, URN, day, "AM", "/", "/", None, datetime(2025, 9, 5, 9, tzinfo=UTC))
        for upn in UPNS
        for day in days
    ]
    amended = date(2025, 9, 5)
    with unit_of_work(engine) as db:
        ensure_school(db)
        db.flush()
        insert_marks(db, records, None)
        # A mark written after it in the same transaction is recorded by the trigger again.
        db.add(mark_row(UPNS[1], amended, "PM", "L", datetime(2025, 9, 5, 14, tzinfo=UTC)))
    assert _dirty_days(engine) == {(URN, day) for day in [*days, amended]}
    with unit_of_work(engine) as db:
        assert refresh_tallies(db, URN, date(2025, 9, 8)) == len(UPNS)
    # Every other way a mark arrives is still caught by the trigger.
    later = date(2025, 9, 10)
    _store(engine, [mark_row(UPNS[0], later, "AM", "N", datetime(2025, 9, 10, 9, tzinfo=UTC))])
    assert _dirty_days(engine) == {(URN, later)}


def _mornings_ill(days: list[date]) -> list[Mark]:
    """I in the morning, present in the afternoon: half a day of illness each day."""
    return [
        mark_row(UPNS[2], day, session, code, datetime(2025, 9, 1, 9, tzinfo=UTC))
        for day in days
        for session, code in (("AM", "I"), ("PM", "\\"))
    ]


def test_stored_tallies_count_illness_in_sessions_not_days(engine: Engine) -> None:
    """Rule 10: five mornings off ill are five sessions of illness (2.5 days), not five days."""
    days = _school_days(date(2025, 9, 8), 5)
    _store(engine, _mornings_ill(days))
    with unit_of_work(engine) as db:
        refresh_tallies(db, URN, date(2025, 9, 15))
        week = db.get(MarkWeek, (URN, date(2025, 9, 8), UPNS[2]))
        assert week is not None
        assert (week.possible, week.authorised, week.illness_sessions) == (10, 5, 5)
        at = datetime(2025, 9, 15, 8, tzinfo=UTC)
        tallied, _ = year_prior(db, URN, YEAR_START, date(2025, 9, 15), at, None)
        exact = prior_totals(db, URN, YEAR_START, date(2025, 9, 15), at)
    assert tallied[UPNS[2]].illness_sessions == exact[UPNS[2]].illness_sessions == 5


def test_the_migration_recounts_tallies_stored_in_days(tmp_path: Path) -> None:
    """0016: weeks counted the old way (days with any I) are dropped and their days recounted."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0015")
    engine = get_engine(url)
    days = _school_days(date(2025, 9, 8), 5)
    _store(engine, _mornings_ill(days))
    with engine.begin() as con:  # as 0015's sweeps left it: tallied, in days, nothing dirty
        con.execute(sa.text("DELETE FROM mark_days_dirty"))
        con.execute(
            sa.text(
                "INSERT INTO mark_weeks VALUES (:urn, '2025-09-08', :upn, 10, 5, 0, 5, 0, 0, 5, 0,"
                " '2025-09-01 09:00:00.000000')"
            ),
            {"urn": URN, "upn": UPNS[2]},
        )
    upgrade(url)
    assert _dirty_days(engine) == {(URN, day) for day in days}
    with unit_of_work(engine) as db:
        assert db.execute(sa.select(sa.func.count()).select_from(MarkWeek)).scalar() == 0
        refresh_tallies(db, URN, date(2025, 9, 15))
        week = db.get(MarkWeek, (URN, date(2025, 9, 8), UPNS[2]))
        assert week is not None
        assert week.illness_sessions == 5
    engine.dispose()


def test_a_version_stored_since_the_check_is_skipped_and_the_rest_written(engine: Engine) -> None:
    """Another writer stored one of the part's versions after this import checked: on
    PostgreSQL the direct COPY fails on it and the part is written again through the staging
    table; on both databases that version is kept once and every other one goes in."""
    at = datetime(2025, 9, 5, 9, tzinfo=UTC)
    days = [date(2025, 9, 3), date(2025, 9, 4)]
    records = [MarkRecord(upn, URN, day, "AM", "/", "/", None, at) for upn in UPNS for day in days]
    _store(engine, [mark_row(UPNS[3], days[1], "AM", "N", at)])  # the same slot and time
    with unit_of_work(engine) as db:
        insert_marks(db, records, None)
        db.execute(sa.select(sa.func.count()).select_from(Mark))  # the transaction still works
    with Session(engine) as db:
        stored = db.execute(sa.select(col(Mark.upn), col(Mark.school_date), col(Mark.code))).all()
    assert len(stored) == len(records)
    assert [code for upn, day, code in stored if upn == UPNS[3] and str(day) == "2025-09-04"] == [
        "N"
    ]
