"""Exact rates: integer counts that add up across pupils, cohorts and schools, shown as %.

Every figure is a count; a rate is a (numerator, denominator) pair and is turned into text only
for display, rounded half up with integer arithmetic (DOMAIN.md rules 2-3: no float thresholds).
Attendance and absence rates are session-weighted (sessions attended / possible sessions across
the pupils, as the DfE publishes them); persistent and severe absence rates are pupils over
pupils, each pupil judged on their own sessions with `measure_definitions.pupil_absence`, the one
definition every page and summary uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.core.measure_definitions import pupil_absence
from casework.core.measures import AttendanceMeasures


@dataclass(frozen=True, slots=True)
class Ratio:
    numerator: int
    denominator: int

    def tenths(self) -> int | None:
        """The percentage in tenths of a per cent, rounded half up (1/3 -> 333, 1/8 -> 125)."""
        if self.denominator == 0:
            return None
        return (2000 * self.numerator + self.denominator) // (2 * self.denominator)

    @property
    def text(self) -> str:
        tenths = self.tenths()
        return "–" if tenths is None else f"{tenths // 10}.{tenths % 10}%"

    @property
    def value(self) -> float | None:
        """For drawing charts only; never compare it with a threshold."""
        return None if self.denominator == 0 else 100.0 * self.numerator / self.denominator


@dataclass(frozen=True, slots=True)
class Totals:
    """Additive counts for a group of pupils over a period."""

    pupils: int = 0  # pupils with at least one possible session in the period
    possible: int = 0
    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0
    persistent: int = 0  # pupils with absence >= 10 % of their own possible sessions
    severe: int = 0  # pupils with absence >= 50 %

    @classmethod
    def of(cls, m: AttendanceMeasures) -> Totals:
        """One pupil; a pupil with no possible sessions in the period is counted nowhere."""
        counted = pupil_absence(m)
        if not counted.pupils:
            return cls()
        return cls(
            counted.pupils,
            m.possible,
            m.attended,
            m.authorised,
            m.unauthorised,
            counted.persistent,
            counted.severe,
        )

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.pupils + other.pupils,
            self.possible + other.possible,
            self.attended + other.attended,
            self.authorised + other.authorised,
            self.unauthorised + other.unauthorised,
            self.persistent + other.persistent,
            self.severe + other.severe,
        )

    @property
    def attendance(self) -> Ratio:
        return Ratio(self.attended, self.possible)

    @property
    def absence(self) -> Ratio:
        return Ratio(self.authorised + self.unauthorised, self.possible)

    @property
    def authorised_rate(self) -> Ratio:
        return Ratio(self.authorised, self.possible)

    @property
    def unauthorised_rate(self) -> Ratio:
        return Ratio(self.unauthorised, self.possible)

    @property
    def persistent_rate(self) -> Ratio:
        return Ratio(self.persistent, self.pupils)

    @property
    def severe_rate(self) -> Ratio:
        return Ratio(self.severe, self.pupils)


ZERO = Totals()
