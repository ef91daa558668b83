"""Attendance measures from a pupil's visible marks: exact integer counts, bands and runs.

DOMAIN.md rules 2–6, 7–8, 10, 11, 17 and 19. Percentages exist for display only; every threshold
is compared with integers so that exactly 90.0 % is persistent absence, as the DfE defines it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter

from casework.core.calendar import RegisterSession, SchoolCalendar, SweepPoint
from casework.core.codes import CODES, ILLNESS, UNEXPLAINED, CodeClass, code_info
from casework.core.marks import SessionMark

_CODE = attrgetter("code")
_CLASS_OF: dict[str, CodeClass] = {code: info.klass for code, info in CODES.items()}
_LATE_CODES: frozenset[str] = frozenset(code for code, info in CODES.items() if info.is_late)
_BREAKS_EPISODE: frozenset[str] = frozenset(
    code for code, info in CODES.items() if info.is_possible and not info.is_unexplained
)


@dataclass(frozen=True, slots=True)
class AttendanceMeasures:
    possible: int
    present: int
    educational: int
    authorised: int
    unauthorised: int
    late: int  # sessions coded L or U

    @property
    def attended(self) -> int:
        return self.present + self.educational

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def attendance_percent(self) -> float:
        """For display only; never compare this with a threshold."""
        return 100.0 * self.attended / self.possible if self.possible else 100.0

    @property
    def is_persistent(self) -> bool:
        return self.possible > 0 and self.absent * 10 >= self.possible

    @property
    def is_severe(self) -> bool:
        return self.possible > 0 and self.absent * 2 >= self.possible

    def is_below(self, percent: int) -> bool:
        """Attendance strictly below `percent`, compared exactly."""
        return self.attended * 100 < percent * self.possible


class Band(StrEnum):
    NONE = "none"
    AT_RISK = "at_risk"
    PERSISTENT = "persistent"
    SEVERE = "severe"


@dataclass(frozen=True, slots=True)
class Episode:
    start_date: date
    start_session: RegisterSession
    school_days: int
    last_date: date


def _class_of(code: str) -> CodeClass:
    known = _CLASS_OF.get(code)
    return known if known is not None else code_info(code).klass


def _register_order(mark: SessionMark) -> tuple[date, str]:
    # "AM" sorts before "PM" as text, so this is register order.
    return (mark.school_date, mark.session)


def _in_range(d: date, since: date | None, until: date | None) -> bool:
    return (since is None or d >= since) and (until is None or d <= until)


def measure(
    marks: Sequence[SessionMark], since: date | None = None, until: date | None = None
) -> AttendanceMeasures:
    """Counts by statistical class of the marks dated since..until inclusive."""
    if since is None and until is None:
        return measures_from_codes(Counter(map(_CODE, marks)))
    return measures_from_codes(
        Counter(m.code for m in marks if _in_range(m.school_date, since, until))
    )


def measures_from_codes(counts: Mapping[str, int]) -> AttendanceMeasures:
    """Measures from a count of sessions by code (e.g. a GROUP BY in the shell)."""
    # Pupils' windows repeat the same few counts endlessly (ten sessions present, ...).
    return _measures_of(frozenset(counts.items()))


@lru_cache(maxsize=8192)
def _measures_of(counts: frozenset[tuple[str, int]]) -> AttendanceMeasures:
    by_class = dict.fromkeys(CodeClass, 0)
    late = 0
    for code, n in counts:
        by_class[_class_of(code)] += n
        late += n if code in _LATE_CODES else 0
    return AttendanceMeasures(
        possible=sum(n for k, n in by_class.items() if k is not CodeClass.NOT_POSSIBLE),
        present=by_class[CodeClass.PRESENT],
        educational=by_class[CodeClass.EDUCATIONAL],
        authorised=by_class[CodeClass.AUTHORISED],
        unauthorised=by_class[CodeClass.UNAUTHORISED],
        late=late,
    )


def add_measures(a: AttendanceMeasures, b: AttendanceMeasures) -> AttendanceMeasures:
    """The counts of two disjoint spans of marks together."""
    return AttendanceMeasures(
        a.possible + b.possible,
        a.present + b.present,
        a.educational + b.educational,
        a.authorised + b.authorised,
        a.unauthorised + b.unauthorised,
        a.late + b.late,
    )


def less_measures(whole: AttendanceMeasures, part: AttendanceMeasures) -> AttendanceMeasures:
    """The counts of `whole` without those of a span of its marks, `part`."""
    return AttendanceMeasures(
        whole.possible - part.possible,
        whole.present - part.present,
        whole.educational - part.educational,
        whole.authorised - part.authorised,
        whole.unauthorised - part.unauthorised,
        whole.late - part.late,
    )


@dataclass(frozen=True, slots=True)
class PriorTotals:
    """This academic year's visible marks dated before `window_start`, already counted.

    A sweep reads raw marks only for a recent window; what the rules need from earlier in the
    year arrives as these totals, so a sweep late in the year costs about what an early one does.
    """

    window_start: date
    measures: AttendanceMeasures
    illness_sessions: int  # sessions coded I (DOMAIN rule 10 counts illness in sessions)
    unresolved_n: tuple[SessionMark, ...]  # slots whose visible mark is still N
    # G N O U sessions of each school week (its Monday) between the legal threshold's start and
    # window_start, whatever the academic year: the legal count reaches back past the window.
    penalty_weeks: tuple[tuple[date, int], ...] = ()
    late_weeks: tuple[tuple[date, int], ...] = ()  # L or U sessions, the same way


def measure_school(
    marks_by_upn: Mapping[str, Sequence[SessionMark]], since: date
) -> dict[str, AttendanceMeasures]:
    """Year-to-date measures for every pupil of a school."""
    return {upn: measure(marks, since) for upn, marks in marks_by_upn.items()}


def band(m: AttendanceMeasures, concern_below_percent: int, min_possible_sessions: int) -> Band:
    """The most serious band the measures reach, once there are enough sessions to judge."""
    # DOMAIN.md rule 5: one absence in week one must not read as persistent absence.
    if m.possible < min_possible_sessions or m.possible == 0:
        return Band.NONE
    if m.is_severe:
        return Band.SEVERE
    if m.is_persistent:
        return Band.PERSISTENT
    if m.is_below(concern_below_percent):
        return Band.AT_RISK
    return Band.NONE


def _newest_first(
    marks: Sequence[SessionMark], calendar: SchoolCalendar, on: SweepPoint
) -> Iterator[SessionMark]:
    """The marks on school sessions up to the sweep point, newest first, lazily."""
    limit = (on.school_date, on.session)
    # Input is normally already in register order, so this sort is a linear pass; the walks
    # below stop early, which keeps a whole school's sweep cheap.
    for mark in sorted(marks, key=_register_order, reverse=True):
        if (mark.school_date, mark.session) <= limit and calendar.is_school_session(
            mark.school_date, mark.session
        ):
            yield mark


def unexplained_episode(
    marks: Sequence[SessionMark], calendar: SchoolCalendar, on: SweepPoint
) -> Episode | None:
    """The unexplained-absence episode the pupil is in at the sweep's own session, if any."""
    walk = _newest_first(marks, calendar, on)
    own = next(walk, None)
    if own is None or own.code not in UNEXPLAINED:
        return None
    if (own.school_date, own.session) != (on.school_date, on.session):
        return None
    # Missing marks and not-possible codes neither break nor extend the run (DOMAIN.md rule 7).
    days = {own.school_date}
    start = own
    for mark in walk:
        if mark.code in UNEXPLAINED:
            days.add(mark.school_date)
            start = mark
        elif mark.code in _BREAKS_EPISODE:
            break
    return Episode(start.school_date, RegisterSession(start.session), len(days), on.school_date)


def consecutive_school_days(
    marks: Sequence[SessionMark], calendar: SchoolCalendar, on: SweepPoint, codes: frozenset[str]
) -> int:
    """Consecutive school days, back from the sweep date, whose every mark is in `codes`.

    DOMAIN.md rule 10: any other code breaks the run — a not-possible code (`D`, `Y1`-`Y7`)
    included — and so does a school day of the calendar with no mark at all; the run's first
    day is the day after the last break."""
    counted: list[date] = []
    for mark in _newest_first(marks, calendar, on):
        day = mark.school_date
        if counted and day != counted[-1] and calendar.previous_school_day(counted[-1]) != day:
            break  # a school day between carries no mark: the run is not continuous
        if mark.code not in codes:
            if counted and counted[-1] == day:
                counted.pop()  # the day's other session ends the run, and the day is not counted
            break
        if not counted or counted[-1] != day:
            counted.append(day)
    return len(counted)


def count_codes(
    marks: Sequence[SessionMark], codes: frozenset[str], since: date, until: date | None = None
) -> int:
    """Sessions coded with one of `codes` dated since..until inclusive."""
    return sum(1 for m in marks if m.code in codes and _in_range(m.school_date, since, until))


def illness_sessions(marks: Sequence[SessionMark], since: date) -> int:
    """Sessions since `since` coded illness (I), cumulative: DOMAIN rule 10 counts illness in
    sessions (15 days = 30 sessions), so a morning off ill is half a day, not a day."""
    return sum(1 for m in marks if m.code in ILLNESS and m.school_date >= since)


def unresolved_n(
    marks: Sequence[SessionMark], calendar: SchoolCalendar, on: SweepPoint, school_days: int
) -> list[tuple[date, RegisterSession]]:
    """N marks still N at the sweep whose date is at least `school_days` school days back."""
    limit = (on.school_date, on.session)
    return sorted(
        (m.school_date, RegisterSession(m.session))
        for m in marks
        if m.code == "N"
        and (m.school_date, m.session) <= limit
        and calendar.school_days_after(m.school_date, on.school_date) >= school_days
    )
