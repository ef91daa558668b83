"""Test factories: `make_*` build pure values with keyword defaults; `create_*` build rows.

Registers are written the way a teacher reads them, e.g. `make_marks("Mon N, Tue N, Wed /",
ending=date(2025, 9, 10))` or `make_marks("2025-09-08 AM N, 2025-09-08 PM L")`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casework.core.calendar import (
    CalendarRow,
    RegisterSession,
    SchoolCalendar,
    SweepPoint,
    build_calendar,
    england_bank_holidays,
    register_close_at,
)
from casework.core.marks import MarkVersion, SessionMark
from casework.core.measures import AttendanceMeasures

LONDON = ZoneInfo("Europe/London")
URN = "100001"
UPN = "A123456789012"
AM_CLOSE = time(9, 15)
PM_CLOSE = time(13, 30)
WEEKDAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}

# England LA terms (inclusive) for 2024-25 and 2025-26, as an LA calendar.csv would give them.
TERMS: tuple[tuple[str, str], ...] = (
    ("2024-09-04", "2024-10-25"),
    ("2024-11-04", "2024-12-20"),
    ("2025-01-06", "2025-02-14"),
    ("2025-02-24", "2025-04-04"),
    ("2025-04-22", "2025-05-23"),
    ("2025-06-02", "2025-07-22"),
    ("2025-09-03", "2025-10-24"),
    ("2025-11-03", "2025-12-19"),
    ("2026-01-05", "2026-02-13"),
    ("2026-02-23", "2026-03-27"),
    ("2026-04-13", "2026-05-22"),
    ("2026-06-01", "2026-07-21"),
)


def make_calendar_rows(text: str = "", urn: str = "") -> list[CalendarRow]:
    """Rows from "2025-10-13 inset, 2025-10-14 closed PM, 2025-09-03 term_start"."""
    rows = []
    for item in _items(text):
        parts = item.split()
        sessions = parts[2] if len(parts) > 2 else ("" if parts[1].startswith("term") else "ALL")
        rows.append(CalendarRow(urn, date.fromisoformat(parts[0]), sessions, parts[1]))
    return rows


def make_term_rows(terms: Iterable[tuple[str, str]] = TERMS, urn: str = "") -> list[CalendarRow]:
    """term_start and term_end rows for each (start, end) pair."""
    rows = []
    for start, end in terms:
        rows.append(CalendarRow(urn, date.fromisoformat(start), "", "term_start"))
        rows.append(CalendarRow(urn, date.fromisoformat(end), "", "term_end"))
    return rows


def make_calendar(
    extra: str = "",
    *,
    terms: Iterable[tuple[str, str]] = TERMS,
    urn: str = URN,
    bank_holidays: frozenset[date] | None = None,
) -> SchoolCalendar:
    """A school calendar on the default LA terms plus `extra` calendar rows for this school."""
    rows = make_term_rows(terms) + make_calendar_rows(extra, urn=urn)
    if bank_holidays is None:
        bank_holidays = england_bank_holidays(2024, 2027)
    return build_calendar(urn, rows, bank_holidays)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _resolve_days(
    labels: list[str], ending: date | None, calendar: SchoolCalendar | None
) -> list[date]:
    """Turn ISO dates and weekday labels into dates; weekday labels run back from `ending`,
    over school days only when a calendar is given (so "Fri, Mon" can span half term)."""
    resolved: list[date | None] = [
        None if label.upper() in WEEKDAYS else date.fromisoformat(label) for label in labels
    ]
    cursor = ending
    for i in range(len(labels) - 1, -1, -1):
        found = resolved[i]
        if found is not None:
            cursor = found
            continue
        if cursor is None:
            raise ValueError("weekday labels need `ending` or a later ISO date")
        later = labels[i + 1].upper() if i < len(labels) - 1 else None
        back = (cursor.weekday() - WEEKDAYS[labels[i].upper()]) % 7
        if later is not None and later != labels[i].upper() and back == 0:
            back = 7  # an earlier label is an earlier day; a repeated label is the same day
        cursor -= timedelta(days=back)
        while calendar is not None and not calendar.is_school_day(cursor):
            cursor -= timedelta(days=7)
        resolved[i] = cursor
    return [d for d in resolved if d is not None]


def make_marks(
    text: str, *, ending: date | None = None, calendar: SchoolCalendar | None = None
) -> list[SessionMark]:
    """Marks from "Mon N, Tue AM N, Tue PM /" or "2025-09-08 AM N"; a code `-` is no mark.

    A day with no session given gets the code in both sessions.
    """
    parsed = [item.split() for item in _items(text)]
    days = _resolve_days([parts[0] for parts in parsed], ending, calendar)
    marks: list[SessionMark] = []
    for day, parts in zip(days, parsed, strict=True):
        sessions = (
            (RegisterSession(parts[1].upper()),) if len(parts) == 3 else tuple(RegisterSession)
        )
        code = parts[-1]
        if code == "-":
            continue
        minutes = 10 if code in ("L", "U") else None
        marks.extend(SessionMark(day, session, code, minutes) for session in sessions)
    return sorted(marks, key=lambda m: (m.school_date, m.session))


def make_sweep(text: str, *, at: datetime | None = None) -> SweepPoint:
    """A sweep point from "Wed 2025-01-15 AM" or "2025-01-15 PM", closing at the default times."""
    parts = text.split()
    day = date.fromisoformat(parts[-2])
    session = RegisterSession(parts[-1].upper())
    if at is None:
        at = register_close_at(day, session, AM_CLOSE, PM_CLOSE, LONDON)
    return SweepPoint(day, session, at)


def make_mark_version(
    *,
    upn: str = UPN,
    school_date: date = date(2025, 9, 8),
    session: RegisterSession = RegisterSession.AM,
    code: str = "/",
    minutes_late: int | None = None,
    recorded_at: datetime | None = None,
) -> MarkVersion:
    """One version of a mark; by default recorded when that session's register closed."""
    if recorded_at is None:
        recorded_at = register_close_at(school_date, session, AM_CLOSE, PM_CLOSE, LONDON)
    return MarkVersion(upn, school_date, session, code, minutes_late, recorded_at)


def make_measures(
    *,
    present: int = 0,
    educational: int = 0,
    authorised: int = 0,
    unauthorised: int = 0,
    late: int = 0,
) -> AttendanceMeasures:
    """Measures whose possible sessions are the sum of the four possible classes."""
    possible = present + educational + authorised + unauthorised
    return AttendanceMeasures(possible, present, educational, authorised, unauthorised, late)
