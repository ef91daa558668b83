"""One definition of each attendance measure, written once and shown beside the number on every
page, report and summary that shows it (DfE definitions; local lines from the policy file).

Two kinds of count appear in the product and are named differently so they are never confused:
a *measure* (from the register marks over a period, as of a date) and a *caseload* (pupils with a
support stage open now). They can differ: a pupil whose attendance recovered stays on an
attendance plan until the recovery period has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from casework.core.measures import AttendanceMeasures
from casework.core.policy import Policy


@dataclass(frozen=True, slots=True)
class AbsenceCount:
    """Pupils measured over one period, and how many of them are persistently or severely absent.

    A severely absent pupil is persistently absent too (50 % is past 10 %), so `severe` is part
    of `persistent`, never added to it.
    """

    pupils: int = 0  # pupils with at least one possible session in the period
    persistent: int = 0
    severe: int = 0

    def __add__(self, other: AbsenceCount) -> AbsenceCount:
        return AbsenceCount(
            self.pupils + other.pupils,
            self.persistent + other.persistent,
            self.severe + other.severe,
        )


def pupil_absence(m: AttendanceMeasures) -> AbsenceCount:
    """One pupil's place in the counts: DOMAIN.md rule 3, judged exactly on their own sessions.

    No minimum of sessions applies: rule 5's `min_possible_sessions` holds back band-driven
    stages (letters, meetings), not the measure, so a report and a page count the same pupils.
    """
    if m.possible == 0:
        return AbsenceCount()  # not on roll in the period: counted nowhere
    return AbsenceCount(1, int(m.is_persistent), int(m.is_severe))


def count_absence(measures: Iterable[AttendanceMeasures]) -> AbsenceCount:
    """The persistent-absence number (and severe) for a group: every page, report and summary
    that shows one counts it here, from measures over the same period."""
    total = AbsenceCount()
    for m in measures:
        total += pupil_absence(m)
    return total


def definitions(policy: Policy) -> Mapping[str, str]:
    """Measure name -> its one-sentence definition, with this LA's own lines filled in."""
    bands = policy.bands
    return {
        "attendance": "Sessions attended (present or approved educational activity) as a share "
        "of the sessions possible, from the first school day of the academic year.",
        "persistent_absence": "A pupil who missed 10% or more of their possible sessions "
        "(authorised and unauthorised absence) from the start of the academic year to the date "
        "shown, the DfE's persistent absence.",
        "severe_absence": "A pupil who missed 50% or more of their possible sessions.",
        "at_risk": f"A pupil below {bands.concern_below_percent}% attendance but not yet "
        "persistently absent (this LA's own line).",
        "minimum_sessions": f"A pupil is banded only once {bands.min_possible_sessions} sessions "
        "were possible for them.",
        "caseload_persistent": "Pupils with an Attendance plan stage open now: entered when "
        "persistent absence was first measured, closed after "
        f"{bands.recovery_school_weeks} school weeks above the line.",
        "caseload_severe": "Pupils with a Severe absence plan stage open now.",
        "caseload_at_risk": "Pupils with an Attendance concern stage open now.",
    }
