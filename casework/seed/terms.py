"""A realistic English school calendar: six half terms a year, five INSET days, LA-wide rows.

The pattern follows what most English LAs publish: autumn from early September with a half term
in the last week of October, Christmas from the Friday before 21 December, a February half term
in the third week, two weeks round Easter, a half term in the spring bank holiday week, and the
summer term to about 21 July. Bank holidays are not rows: the calendar adds them itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from casework.core.calendar import CalendarKind, CalendarRow, academic_year_start

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


def easter_sunday(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * leap) // 433
    month = (h + leap - 7 * m + 90) // 25
    day = (h + leap - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


def _weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _weekday_on_or_before(d: date, weekday: int) -> date:
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _first_weekday_from(d: date) -> date:
    while d.weekday() >= 5:
        d += _DAY
    return d


def _last_weekday_until(d: date) -> date:
    while d.weekday() >= 5:
        d -= _DAY
    return d


def half_terms(year: int) -> list[tuple[date, date]]:
    """The six (start, end) half terms of the academic year starting in September `year`."""
    monday, friday = 0, 4
    october_break = _weekday_on_or_before(date(year, 10, 31), monday)
    february_break = _weekday_on_or_after(date(year + 1, 2, 1), monday) + 2 * _WEEK
    easter_monday = easter_sunday(year + 1) + _DAY
    may_break = _weekday_on_or_before(date(year + 1, 5, 31), monday)
    return [
        (_first_weekday_from(date(year, 9, 1)), october_break - 3 * _DAY),
        (october_break + _WEEK, _weekday_on_or_before(date(year, 12, 20), friday)),
        (_weekday_on_or_after(date(year + 1, 1, 2), monday), february_break - 3 * _DAY),
        (february_break + _WEEK, easter_monday - 10 * _DAY),
        (easter_monday + _WEEK, may_break - 3 * _DAY),
        (may_break + _WEEK, _last_weekday_until(date(year + 1, 7, 21))),
    ]


def _inset_days(terms: list[tuple[date, date]]) -> list[date]:
    autumn_start = terms[0][0]
    return [
        autumn_start,
        _first_weekday_from(autumn_start + _DAY),
        terms[2][0],  # spring term starts with a training day
        terms[4][0],  # so does the summer term
        terms[5][1],  # and the year ends with one
    ]


def academic_year_rows(year: int) -> list[CalendarRow]:
    """LA-wide term and INSET rows for the academic year starting in September `year`."""
    terms = half_terms(year)
    rows = [
        CalendarRow("", day, "", kind)
        for start, end in terms
        for day, kind in ((start, CalendarKind.TERM_START), (end, CalendarKind.TERM_END))
    ]
    rows += [CalendarRow("", day, "ALL", CalendarKind.INSET) for day in _inset_days(terms)]
    return rows


def polling_day(year: int) -> date:
    """The first Thursday of May in the academic year starting in `year` (local elections)."""
    return _weekday_on_or_after(date(year + 1, 5, 1), 3)


def academic_years(start: date, end: date) -> range:
    """The September years of every academic year the span touches."""
    return range(academic_year_start(start).year, academic_year_start(end).year + 1)
