"""A school's calendar: its school days and sessions, school weeks, and register close times.

Built from `calendar.csv` rows (DESIGN.md) and England's bank holidays. School days are Monday to
Friday inside a term, minus closures, INSET and bank holidays; a half-day closure leaves the other
session open. Every lookup is O(1) or O(log n) so a sweep can ask freely.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class RegisterSession(StrEnum):
    AM = "AM"
    PM = "PM"


class CalendarKind(StrEnum):
    TERM_START = "term_start"
    TERM_END = "term_end"
    CLOSED = "closed"
    INSET = "inset"


BOTH_SESSIONS: tuple[RegisterSession, ...] = (RegisterSession.AM, RegisterSession.PM)
_CLOSURE_KINDS = frozenset({CalendarKind.CLOSED.value, CalendarKind.INSET.value})
_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CalendarRow:
    urn: str  # "" = every school in the LA
    entry_date: date
    sessions: str  # AM, PM, ALL for closures; blank for term rows
    kind: str


@dataclass(frozen=True, slots=True)
class SweepPoint:
    school_date: date
    session: RegisterSession
    at: datetime  # aware; when the register for this session closed


def monday_of(d: date) -> date:
    """The Monday of the Monday–Sunday week containing d."""
    return d - timedelta(days=d.weekday())


def academic_year_start(d: date) -> date:
    """1 August on or before d (DOMAIN.md rule 2)."""
    return date(d.year if d.month >= 8 else d.year - 1, 8, 1)


def academic_year_end(d: date) -> date:
    """31 July closing the academic year containing d."""
    return date(academic_year_start(d).year + 1, 7, 31)


@dataclass(frozen=True, eq=False)
class SchoolCalendar:
    """School days and sessions of one school; build it with `build_calendar`."""

    urn: str
    session_map: Mapping[date, tuple[RegisterSession, ...]]
    days: tuple[date, ...]  # ascending school days
    week_starts: tuple[date, ...]  # ascending Mondays of school weeks (DOMAIN.md rule 6)
    bank_holidays: frozenset[date]

    def is_school_day(self, d: date) -> bool:
        return d in self.session_map

    def sessions_on(self, d: date) -> tuple[RegisterSession, ...]:
        return self.session_map.get(d, ())

    def is_school_session(self, d: date, session: RegisterSession) -> bool:
        return session in self.session_map.get(d, ())

    def school_days(self, start: date, end: date) -> list[date]:
        """School days from start to end inclusive, ascending."""
        return list(self.days[bisect_left(self.days, start) : bisect_right(self.days, end)])

    def previous_school_day(self, d: date) -> date | None:
        i = bisect_left(self.days, d)
        return self.days[i - 1] if i > 0 else None

    def next_school_day(self, d: date) -> date | None:
        i = bisect_right(self.days, d)
        return self.days[i] if i < len(self.days) else None

    def school_days_after(self, start: date, end: date) -> int:
        """How many school days fall after start and on or before end."""
        return max(0, bisect_right(self.days, end) - bisect_right(self.days, start))

    def add_school_days(self, d: date, n: int) -> date:
        """The n-th school day after d; n=0 gives d itself if a school day, else the next one."""
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0 and self.is_school_day(d):
            return d
        index = bisect_right(self.days, d) + max(n, 1) - 1
        if index < len(self.days):
            return self.days[index]
        return self._extrapolate(index)

    def _extrapolate(self, index: int) -> date:
        # Beyond the imported calendar nothing is known; count plain weekdays minus bank holidays
        # so a due date far ahead is still a sensible working day rather than an error.
        last = self.days[-1] if self.days else date.min
        remaining = index - len(self.days) + 1
        day = last
        while remaining > 0:
            day += _DAY
            if day.weekday() < 5 and day not in self.bank_holidays:
                remaining -= 1
        return day

    def sessions_between(self, start: date, end: date) -> list[tuple[date, RegisterSession]]:
        """Every school session from start to end inclusive, in register order."""
        return [(d, s) for d in self.school_days(start, end) for s in self.session_map[d]]

    def school_week_start(self, d: date, weeks: int) -> date:
        """Monday of the `weeks`-th school week back, counting the week of d (or the latest
        school week before it) as week 1; the earliest known school week if there are fewer."""
        if weeks < 1:
            raise ValueError("weeks must be >= 1")
        if not self.week_starts:
            return monday_of(d)
        latest = bisect_right(self.week_starts, monday_of(d)) - 1
        return self.week_starts[max(0, latest - (weeks - 1))]

    def add_school_weeks(self, d: date, weeks: int) -> date:
        """First school day on or after d's weekday, `weeks` school weeks later."""
        monday = monday_of(d)
        if not self.week_starts:
            return monday + weeks * _WEEK + timedelta(days=d.weekday())
        i = bisect_left(self.week_starts, monday)
        if i >= len(self.week_starts) or self.week_starts[i] != monday:
            i -= 1  # d is in a holiday week: count from the school week before it
        candidate = self._week_monday(i + weeks) + timedelta(days=d.weekday())
        if self.is_school_day(candidate):
            return candidate
        found = self.next_school_day(candidate)
        return found if found is not None else candidate

    def _week_monday(self, index: int) -> date:
        # Outside the imported calendar every week is taken to be a school week.
        if index < 0:
            return self.week_starts[0] + index * _WEEK
        last = len(self.week_starts) - 1
        if index > last:
            return self.week_starts[last] + (index - last) * _WEEK
        return self.week_starts[index]


def _terms(rows: list[CalendarRow]) -> list[tuple[date, date]]:
    """Pair term starts with ends in date order; a start with no end runs to 31 July."""
    events = sorted(
        (row.entry_date, 0 if row.kind == CalendarKind.TERM_START else 1)
        for row in rows
        if row.kind in (CalendarKind.TERM_START, CalendarKind.TERM_END)
    )
    terms: list[tuple[date, date]] = []
    opened: date | None = None
    for when, is_end in events:
        if not is_end and opened is None:
            opened = when
        elif is_end and opened is not None:
            terms.append((opened, when))
            opened = None
    if opened is not None:
        terms.append((opened, academic_year_end(opened)))
    return terms


def _closed_sessions(rows: list[CalendarRow]) -> dict[date, set[RegisterSession]]:
    closed: dict[date, set[RegisterSession]] = {}
    for row in rows:
        if row.kind not in _CLOSURE_KINDS:
            continue
        which = row.sessions.strip().upper()
        shut = BOTH_SESSIONS if which in ("", "ALL") else (RegisterSession(which),)
        closed.setdefault(row.entry_date, set()).update(shut)
    return closed


def build_calendar(
    urn: str, rows: Iterable[CalendarRow], bank_holidays: frozenset[date]
) -> SchoolCalendar:
    """The calendar of school `urn` from its own rows and the LA-wide ones (urn "")."""
    mine = [row for row in rows if row.urn in ("", urn)]
    closed = _closed_sessions(mine)
    session_map: dict[date, tuple[RegisterSession, ...]] = {}
    for start, end in _terms(mine):
        day = start
        while day <= end:
            if day.weekday() < 5 and day not in bank_holidays:
                shut = closed.get(day, set())
                open_sessions = tuple(s for s in BOTH_SESSIONS if s not in shut)
                if open_sessions:
                    session_map[day] = open_sessions
            day += _DAY
    days = tuple(sorted(session_map))
    weeks = tuple(sorted({monday_of(d) for d in days}))
    return SchoolCalendar(urn, session_map, days, weeks, bank_holidays)


def england_bank_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """England's bank holidays (with substitute days) for the calendar years given."""
    # Imported here: the package takes most of a second to load and only calendar loading needs it.
    import holidays

    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return frozenset(found.keys())


def register_close_at(
    d: date, session: RegisterSession, am_close: time, pm_close: time, tz: ZoneInfo
) -> datetime:
    """When the register for a session closes, as an aware UTC datetime."""
    local = datetime.combine(d, am_close if session == RegisterSession.AM else pm_close, tz)
    return local.astimezone(UTC)
