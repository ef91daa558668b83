"""The persistent-absence number as of a date, per school: what the overview and the demo's
summary show, counted exactly as the governors' and LA reports count it.

One period (the academic year's start to the `on` date, inclusive), one view of the marks (the
latest version recorded by the end of the `on` day, local time, as the reports read them) and
one definition (`casework.core.measure_definitions.count_absence`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from casework.core.measure_definitions import AbsenceCount, count_absence
from casework.db.year_totals import year_to_date


def end_of_day(on: date, tz: ZoneInfo) -> datetime:
    """The last instant of the `on` day in local time: a mark recorded later is not seen."""
    return datetime.combine(on + timedelta(days=1), time.min, tz) - timedelta(microseconds=1)


def school_absence(session: Session, urn: str, on: date, tz: ZoneInfo) -> AbsenceCount:
    """Pupils measured, persistently and severely absent at one school, year to date on `on`."""
    return count_absence(year_to_date(session, urn, on, end_of_day(on, tz)).values())


def absence_by_school(
    session: Session, urns: Iterable[str], on: date, tz: ZoneInfo
) -> dict[str, AbsenceCount]:
    """`school_absence` for each school."""
    return {urn: school_absence(session, urn, on, tz) for urn in urns}
