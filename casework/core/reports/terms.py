"""The autumn, spring and summer terms of a school's calendar, for term-on-term trends.

The calendar holds school days, not term names, so terms are read off it: autumn is every school
day from August to December; January to July splits into spring and summer at the Easter
holiday, taken to be the longest break of at least two weeks between school days in that span
(half-term breaks are one week, so they never split a term). Without such a break (a calendar
imported only to March, say) January to July is all spring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from casework.core.calendar import SchoolCalendar, academic_year_end, academic_year_start

EASTER_BREAK = timedelta(days=14)
TERM_NAMES = ("autumn", "spring", "summer")


@dataclass(frozen=True, slots=True, order=True)
class TermKey:
    year: int  # the calendar year the academic year starts in: 2025 for 2025/26
    index: int  # 0 autumn, 1 spring, 2 summer

    @property
    def label(self) -> str:
        return f"{TERM_NAMES[self.index].capitalize()} {self.year}/{(self.year + 1) % 100:02d}"


@dataclass(frozen=True, slots=True)
class Term:
    key: TermKey
    first_day: date  # inclusive, clipped to the reporting window
    last_day: date


def _split_at_easter(days: list[date]) -> tuple[list[date], list[date]]:
    best, at = EASTER_BREAK - timedelta(days=1), None
    for i in range(1, len(days)):
        gap = days[i] - days[i - 1]
        if gap > best:
            best, at = gap, i
    if at is None:
        return days, []
    return days[:at], days[at:]


def _year_terms(calendar: SchoolCalendar, year_start: date) -> list[tuple[int, list[date]]]:
    days = calendar.school_days(year_start, academic_year_end(year_start))
    autumn = [d for d in days if d.month >= 8]
    spring, summer = _split_at_easter([d for d in days if d.month < 8])
    return [(0, autumn), (1, spring), (2, summer)]


def terms_between(calendar: SchoolCalendar, start: date, end: date) -> list[Term]:
    """The terms that have school days between start and end, clipped to that window."""
    terms: list[Term] = []
    year_start = academic_year_start(start)
    while year_start <= end:
        for index, days in _year_terms(calendar, year_start):
            inside = [d for d in days if start <= d <= end]
            if inside:
                terms.append(Term(TermKey(year_start.year, index), inside[0], inside[-1]))
        year_start = date(year_start.year + 1, 8, 1)
    return terms
