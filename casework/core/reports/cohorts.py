"""Cohorts for reports: which groups a pupil belongs to, in a fixed, readable order.

A cohort is a (dimension, value) pair. Every dimension but "all" is a *partition*: each pupil is in
exactly one of its values (pupil premium yes/no, SEN N/K/E, year group, ethnicity), so the values
add up to the whole school; `suppression.py` relies on that to stop a hidden small cohort being
worked out by subtraction. The flags (FSM, looked after, previously looked after, CP/CIN) are
shown for the flagged pupils only; their complement ("the rest") is never shown but can be
derived from the whole, so `complements` supplies it for suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from casework.core.wording import ethnicity_label

ALL = "all"
PUPIL_PREMIUM = "pupil_premium"
FSM = "fsm"
SEN = "sen"
LOOKED_AFTER = "looked_after"
PREVIOUSLY_LOOKED_AFTER = "previously_looked_after"
CP_CIN = "cp_cin"
YEAR_GROUP = "year_group"
ETHNICITY = "ethnicity"

DIMENSIONS: tuple[str, ...] = (
    ALL,
    PUPIL_PREMIUM,
    FSM,
    SEN,
    LOOKED_AFTER,
    PREVIOUSLY_LOOKED_AFTER,
    CP_CIN,
    YEAR_GROUP,
    ETHNICITY,
)
FLAGS: frozenset[str] = frozenset({FSM, LOOKED_AFTER, PREVIOUSLY_LOOKED_AFTER, CP_CIN})
_DIMENSION_ORDER = {name: i for i, name in enumerate(DIMENSIONS)}
_SEN_ORDER = {"N": 0, "K": 1, "E": 2}
_SEN_LABELS = {"N": "No SEN", "K": "SEN support (K)", "E": "EHCP (E)"}
_YEAR_ORDER = {"N1": -2, "N2": -1, "R": 0}


@dataclass(frozen=True, slots=True)
class PupilTraits:
    """The characteristics a report groups by; no names, no identifiers."""

    year_group: str
    sen_status: str  # N | K | E
    fsm: bool
    pupil_premium: bool
    looked_after: bool
    previously_looked_after: bool
    cp_cin: str  # none | CIN | CP
    ethnicity: str


@dataclass(frozen=True, slots=True)
class Cohort:
    dimension: str
    value: str
    label: str = field(compare=False, hash=False)

    @property
    def partition(self) -> str | None:
        """The partition this cohort is one part of; None for the whole school."""
        return None if self.dimension == ALL else self.dimension


WHOLE = Cohort(ALL, "", "All pupils")


def _value_rank(dimension: str, value: str) -> tuple[int, str]:
    if dimension == SEN:
        return (_SEN_ORDER.get(value, 9), value)
    if dimension == YEAR_GROUP:
        rank = _YEAR_ORDER.get(value)
        if rank is None:
            rank = int(value) if value.isdigit() else 99
        return (rank, value)
    if dimension in (PUPIL_PREMIUM,):
        return (0 if value == "yes" else 1, value)
    return (0 if value else 1, value)  # "not recorded" ethnicity last


def sort_key(cohort: Cohort) -> tuple[int, tuple[int, str]]:
    """Report order: dimension as in DIMENSIONS, then a natural order of values."""
    return (_DIMENSION_ORDER.get(cohort.dimension, 99), _value_rank(cohort.dimension, cohort.value))


def _flagged(traits: PupilTraits) -> list[Cohort]:
    flags = [
        (traits.fsm, Cohort(FSM, "yes", "Free school meals")),
        (traits.looked_after, Cohort(LOOKED_AFTER, "yes", "Looked after")),
        (
            traits.previously_looked_after,
            Cohort(PREVIOUSLY_LOOKED_AFTER, "yes", "Previously looked after"),
        ),
        (traits.cp_cin != "none", Cohort(CP_CIN, "yes", "Child protection / child in need")),
    ]
    return [cohort for on, cohort in flags if on]


def cohorts_of(traits: PupilTraits) -> tuple[Cohort, ...]:
    """Every cohort the pupil is counted in, the whole school first."""
    pp = "yes" if traits.pupil_premium else "no"
    pp_label = "Pupil premium" if traits.pupil_premium else "Not pupil premium"
    ethnicity = traits.ethnicity.strip()
    return (
        WHOLE,
        Cohort(PUPIL_PREMIUM, pp, pp_label),
        *_flagged(traits),
        Cohort(SEN, traits.sen_status, _SEN_LABELS.get(traits.sen_status, traits.sen_status)),
        Cohort(YEAR_GROUP, traits.year_group, f"Year {traits.year_group}"),
        Cohort(
            ETHNICITY,
            ethnicity,
            ethnicity_label(ethnicity) if ethnicity else "Ethnicity not recorded",
        ),
    )


def complements(sizes: Mapping[Cohort, int]) -> dict[Cohort, int]:
    """For each flag shown, the never-shown rest of the whole (whole − flagged), by size."""
    whole = sizes.get(WHOLE, 0)
    return {
        Cohort(c.dimension, "rest", f"Not {c.label.lower()}"): whole - n
        for c, n in sizes.items()
        if c.dimension in FLAGS
    }
