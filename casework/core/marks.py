"""Register marks as versioned facts, and what a sweep is allowed to see of them.

A mark is (pupil, date, session) -> code with a `recorded_at`; a later version amends it and the
earlier one is kept (DOMAIN.md rule 28). A sweep sees marks up to its own session, each as the
latest version recorded by the sweep's time (DESIGN.md "What a sweep sees").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from casework.core.calendar import RegisterSession, SweepPoint

SESSION_ORDER: dict[RegisterSession, int] = {RegisterSession.AM: 0, RegisterSession.PM: 1}
# Rows loaded from storage may carry plain strings; this maps either to the enum cheaply.
_SESSIONS: dict[str, RegisterSession] = {s.value: s for s in RegisterSession}


@dataclass(frozen=True, slots=True)
class MarkVersion:
    upn: str
    school_date: date
    session: RegisterSession
    code: str
    minutes_late: int | None
    recorded_at: datetime  # aware


@dataclass(frozen=True, slots=True)
class SessionMark:
    school_date: date
    session: RegisterSession
    code: str
    minutes_late: int | None = None


Slot = tuple[date, int]


def slot_of(school_date: date, session: RegisterSession) -> Slot:
    """A sortable key for a register session: date, then AM before PM."""
    return (school_date, SESSION_ORDER[RegisterSession(session)])


def visible_marks(versions: Iterable[MarkVersion], on: SweepPoint) -> dict[str, list[SessionMark]]:
    """Each pupil's marks as the sweep `on` sees them, in register order."""
    # One pass over the school's versions; sessions compare as text ("AM" < "PM").
    last_date, last_session, cutoff = on.school_date, on.session, on.at
    best: dict[tuple[str, date, RegisterSession], MarkVersion] = {}
    for version in versions:
        day = version.school_date
        if day > last_date or version.recorded_at > cutoff:
            continue
        if day == last_date and version.session > last_session:
            continue
        key = (version.upn, day, version.session)
        held = best.get(key)
        # Equal times: the later row in the input is the later amendment.
        if held is None or version.recorded_at >= held.recorded_at:
            best[key] = version
    by_upn: dict[str, list[SessionMark]] = {}
    for key in sorted(best):
        v = best[key]
        marks = by_upn.get(v.upn)
        if marks is None:
            marks = by_upn[v.upn] = []
        marks.append(SessionMark(v.school_date, _SESSIONS[v.session], v.code, v.minutes_late))
    return by_upn


def amendment_history(versions: Iterable[MarkVersion]) -> list[MarkVersion]:
    """One slot's versions, the original first and each amendment after it."""
    return sorted(versions, key=lambda v: v.recorded_at)


def latest_versions(versions: Iterable[MarkVersion]) -> dict[tuple[str, date, int], MarkVersion]:
    """The newest version of every (upn, date, session) regardless of any sweep point."""
    newest: dict[tuple[str, date, int], MarkVersion] = {}
    for version in versions:
        key = (version.upn, *slot_of(version.school_date, version.session))
        held = newest.get(key)
        if held is None or version.recorded_at >= held.recorded_at:
            newest[key] = version
    return newest
