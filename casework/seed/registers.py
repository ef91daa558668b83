"""Synthetic register marks: every school session of every pupil, with realistic absence.

Each pupil has an absence budget (their profile's rate times the sessions in the span, so the
bands come out as drawn) spent on spells: illness (I) of one to three days, medical appointments
(M), term-time holidays (G, some of 10+ sessions), lateness (L with minutes; U after the register
closed), unexplained absence (N amended a day or two later to I or O, a few left as N; O), and
for severe absence long runs of O. Rows are written as text directly: every field comes from a
closed set that never needs CSV quoting, and this keeps 38 million marks to a few minutes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from casework.core.calendar import RegisterSession, SchoolCalendar
from casework.core.measures import Band
from casework.seed.people import AbsenceProfile

MARK_COLUMNS = "upn,urn,date,session,code,minutes_late,recorded_at\n"
PRESENT = {RegisterSession.AM: "/", RegisterSession.PM: "\\"}

# (code, shortest, longest run in school days or sessions, whole days?, amended to)
Spell = tuple[str, int, int, bool, str]
_ILLNESS: Spell = ("I", 1, 3, True, "")
_WENT_HOME_ILL: Spell = ("I", 1, 1, False, "")
_MEDICAL: Spell = ("M", 1, 1, False, "")
_UNEXPLAINED_THEN_ILL: Spell = ("N", 1, 1, True, "I")
_UNEXPLAINED_THEN_OTHER: Spell = ("N", 1, 2, True, "O")
_UNEXPLAINED_LEFT: Spell = ("N", 1, 1, False, "")
_OTHER_UNAUTHORISED: Spell = ("O", 1, 2, True, "")
_LATE_AFTER_CLOSE: Spell = ("U", 1, 1, False, "")
_EXCEPTIONAL_LEAVE: Spell = ("C", 1, 1, True, "")
_LONG_TRUANCY: Spell = ("O", 3, 10, True, "")
_HOLIDAY_DAYS = (3, 5, 5, 10)

_SPELLS: dict[Band, tuple[tuple[Spell, ...], tuple[int, ...]]] = {
    Band.NONE: (
        (_ILLNESS, _WENT_HOME_ILL, _MEDICAL, _UNEXPLAINED_THEN_ILL, _UNEXPLAINED_LEFT,
         _LATE_AFTER_CLOSE, _EXCEPTIONAL_LEAVE),
        (50, 8, 18, 10, 1, 5, 4),
    ),
    Band.AT_RISK: (
        (_ILLNESS, _WENT_HOME_ILL, _MEDICAL, _UNEXPLAINED_THEN_ILL, _UNEXPLAINED_THEN_OTHER,
         _UNEXPLAINED_LEFT, _OTHER_UNAUTHORISED, _LATE_AFTER_CLOSE),
        (45, 6, 12, 10, 8, 1, 10, 8),
    ),
    Band.PERSISTENT: (
        (_ILLNESS, _MEDICAL, _UNEXPLAINED_THEN_ILL, _UNEXPLAINED_THEN_OTHER, _UNEXPLAINED_LEFT,
         _OTHER_UNAUTHORISED, _LATE_AFTER_CLOSE, _LONG_TRUANCY),
        (35, 5, 10, 15, 2, 20, 8, 5),
    ),
    Band.SEVERE: (
        (_ILLNESS, _UNEXPLAINED_THEN_OTHER, _OTHER_UNAUTHORISED, _LONG_TRUANCY),
        (20, 15, 15, 50),
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SchoolRegister:
    """A school's sessions in the span, with each one's text pre-rendered."""

    urn: str
    dates: tuple[str, ...]  # ISO date of each session
    mornings: tuple[int, ...]  # indices of AM sessions
    prefixes: tuple[str, ...]  # ",urn,date,session," of each session
    present: tuple[str, ...]  # the whole present row after the upn
    next_days: tuple[tuple[str, str], ...]  # the next two school days after each session's date

    @property
    def size(self) -> int:
        return len(self.dates)


def school_register(urn: str, calendar: SchoolCalendar, start: date, end: date) -> SchoolRegister:
    sessions = calendar.sessions_between(start, end)
    days = sorted({d for d, _ in sessions})
    after = {d: _next_two(calendar, d) for d in days}
    prefixes = tuple(f",{urn},{d.isoformat()},{s.value}," for d, s in sessions)
    return SchoolRegister(
        urn=urn,
        dates=tuple(d.isoformat() for d, _ in sessions),
        mornings=tuple(i for i, (_, s) in enumerate(sessions) if s == RegisterSession.AM),
        prefixes=prefixes,
        present=tuple(f"{p}{PRESENT[s]},,\n" for p, (_, s) in zip(prefixes, sessions, strict=True)),
        next_days=tuple(after[d] for d, _ in sessions),
    )


def _next_two(calendar: SchoolCalendar, d: date) -> tuple[str, str]:
    first = calendar.add_school_days(d, 1)
    return first.isoformat(), calendar.add_school_days(first, 1).isoformat()


@dataclass(slots=True)
class _Plan:
    codes: dict[int, str]  # session index -> the rest of the row(s) after the upn prefix
    used: int = 0


def _budget(profile: AbsenceProfile, sessions: int) -> int:
    exact = profile.absence_rate * sessions
    # Round towards the band so a pupil drawn as persistently absent is one (DOMAIN.md rule 3).
    if profile.band in (Band.PERSISTENT, Band.SEVERE):
        return min(sessions, math.ceil(exact))
    return min(sessions, math.floor(exact))


def _place(
    plan: _Plan, spell: Spell, register: SchoolRegister, rng: random.Random, room: int
) -> None:
    """Mark up to `room` free sessions of one spell (a spell cut short is a part day)."""
    code, shortest, longest, whole_days, amended_to = spell
    length = min(rng.randint(shortest, longest) * (2 if whole_days else 1), room)
    first = rng.choice(register.mornings) if whole_days else rng.randrange(register.size)
    for i in range(first, min(first + length, register.size)):
        if i not in plan.codes:
            plan.codes[i] = _row_tail(register, i, code, amended_to, rng)
            plan.used += 1


def _row_tail(
    register: SchoolRegister, i: int, code: str, amended_to: str, rng: random.Random
) -> str:
    prefix = register.prefixes[i]
    minutes = str(rng.randint(31, 75)) if code == "U" else ""
    row = f"{prefix}{code},{minutes},\n"
    if not amended_to:
        return row
    # The amendment is its own row: same slot, recorded a school day or two later.
    day = register.next_days[i][rng.randrange(2)]
    at = f"{day}T{rng.randint(9, 15):02d}:{rng.randrange(60):02d}:00"
    return f"{row}\0{prefix}{amended_to},,{at}\n"


def plan_absence(
    profile: AbsenceProfile, register: SchoolRegister, rng: random.Random
) -> dict[int, str]:
    """Session index -> row text (after the upn; NUL marks where a second row's upn goes)."""
    plan = _Plan({})
    if register.size == 0 or not register.mornings:
        return plan.codes
    budget = _budget(profile, register.size)
    if profile.takes_holiday and register.size >= 20:
        days = min(rng.choice(_HOLIDAY_DAYS), register.size // 4)
        _place(plan, ("G", days, days, True, ""), register, rng, room=register.size)
        budget = max(budget, plan.used)
    spells, weights = _SPELLS[profile.band]
    for _ in range(register.size * 4):  # bounded: a nearly full register may refuse spells
        if plan.used >= budget:
            break
        _place(plan, rng.choices(spells, weights)[0], register, rng, budget - plan.used)
    _add_lateness(plan, profile, register, rng)
    return plan.codes


def _add_lateness(
    plan: _Plan, profile: AbsenceProfile, register: SchoolRegister, rng: random.Random
) -> None:
    count = round(profile.late_rate * len(register.mornings))
    for i in rng.sample(register.mornings, min(count, len(register.mornings))):
        if i not in plan.codes:
            plan.codes[i] = f"{register.prefixes[i]}L,{rng.randint(2, 25)},\n"


def pupil_rows(upn: str, register: SchoolRegister, codes: dict[int, str]) -> str:
    """Every mark row of one pupil, as CSV text."""
    if register.size == 0:
        return ""
    lines = list(register.present)
    for i, tail in codes.items():
        lines[i] = tail.replace("\0", upn)
    return upn + upn.join(lines)
