"""Which schools a sweep visits: those whose register has the session that day, read from every
school's calendar at once; each answer as the school's own calendar gives it."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.db.session import unit_of_work
from casework.db.snapshots import load_calendar, open_schools
from casework.db.tables import CalendarEntry
from casework.service.sweeping.sweep import schools_to_sweep
from tests.factories import make_term_rows
from tests.web_factories import create_school

DAY = date(2025, 10, 8)  # a Wednesday in term
HALF_TERM = date(2025, 10, 29)  # the LA's half-term holiday
# Own rows: none; a whole-day INSET; the afternoon shut; a term of its own over half-term.
SCHOOLS: dict[str, list[tuple[str, date, str]] | str] = {
    "100001": [],
    "100002": [("inset", DAY, "ALL")],
    "100003": [("closed", DAY, "PM")],
    "100004": "own term",
    "100005": [],
}


def _store(engine: Engine) -> None:
    for urn in SCHOOLS:
        create_school(engine, urn)
    with unit_of_work(engine) as db:
        for row in make_term_rows():
            db.add(CalendarEntry(urn="", entry_date=row.entry_date, kind=row.kind, sessions=""))
        for urn, own in SCHOOLS.items():
            if isinstance(own, str):  # "own term"
                for row in make_term_rows([("2025-10-27", "2025-10-31")], urn=urn):
                    db.add(CalendarEntry(urn=urn, entry_date=row.entry_date, kind=row.kind))
                continue
            for kind, day, sessions in own:
                db.add(CalendarEntry(urn=urn, entry_date=day, kind=kind, sessions=sessions))


def test_open_schools_are_those_whose_own_calendar_has_the_session(engine: Engine) -> None:
    _store(engine)
    with unit_of_work(engine) as db:
        for day in (DAY, date(2025, 10, 11), HALF_TERM):  # in term, a Saturday, half-term
            for session in RegisterSession:
                wanted = [
                    urn
                    for urn in sorted(SCHOOLS)
                    if load_calendar(db, urn, day).is_school_session(day, session)
                ]
                assert open_schools(db, day, session) == wanted
        assert open_schools(db, DAY, RegisterSession.AM) == ["100001", "100003", "100004", "100005"]
        assert open_schools(db, DAY, RegisterSession.PM) == ["100001", "100004", "100005"]
        assert open_schools(db, HALF_TERM, RegisterSession.AM) == ["100004"]
    assert schools_to_sweep(engine, DAY, RegisterSession.PM) == ["100001", "100004", "100005"]
