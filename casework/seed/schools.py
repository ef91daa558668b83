"""Synthetic schools: mostly primaries, about a fifth secondaries (at least one when there are
two or more), each with its register close times and a share of the LA's pupils."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time

from casework.seed.data import FIRST_URN, LA_CODE, PLACES

SECONDARY_SHARE = 0.2
SECONDARY_SIZE_RATIO = 4  # a secondary has about four times a primary's roll
MAX_PUPILS_PER_SCHOOL = 100_000  # 5 digits of a UPN (issue year + serial) per establishment
MAX_SCHOOLS = 1_999  # establishment numbers 2000-3999 and 4000-5999 stay 4 digits

_AM_CLOSES = {"primary": ("08:55", "09:00", "09:05"), "secondary": ("08:45", "08:50", "09:00")}
_PM_CLOSES = {"primary": ("13:10", "13:15", "13:20"), "secondary": ("13:35", "13:40", "13:50")}


@dataclass(frozen=True, slots=True)
class SeedSchool:
    urn: str
    name: str
    phase: str
    estab: int  # the DfE establishment number: UPNs issued here carry it
    am_close: str
    pm_close: str
    pupils: int

    @property
    def close_times(self) -> tuple[time, time]:
        return time.fromisoformat(self.am_close), time.fromisoformat(self.pm_close)

    def csv_row(self) -> list[str]:
        return [self.urn, self.name, LA_CODE, self.phase, self.am_close, self.pm_close]


def _phases(count: int) -> list[str]:
    secondaries = max(1, round(count * SECONDARY_SHARE)) if count >= 2 else 0
    return ["primary"] * (count - secondaries) + ["secondary"] * secondaries


def _shares(phases: list[str], pupils: int) -> list[int]:
    """Pupils per school by size weight, largest remainder so the total is exact."""
    weights = [SECONDARY_SIZE_RATIO if p == "secondary" else 1 for p in phases]
    exact = [pupils * w / sum(weights) for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: pupils - sum(shares)]:
        shares[i] += 1
    return shares


def _name(index: int, phase: str) -> str:
    place = PLACES[index % len(PLACES)]
    if index >= len(PLACES):
        place = f"{place} {index // len(PLACES) + 1}"
    return f"{place} {'Primary School' if phase == 'primary' else 'Academy'}"


def make_schools(count: int, pupils: int, rng: random.Random) -> list[SeedSchool]:
    """`count` schools sharing `pupils` pupils; raises ValueError if one would be too big."""
    if not 1 <= count <= MAX_SCHOOLS:
        raise ValueError(f"an LA here has 1 to {MAX_SCHOOLS} schools")
    phases = _phases(count)
    shares = _shares(phases, pupils)
    if max(shares) >= MAX_PUPILS_PER_SCHOOL:
        raise ValueError(f"more than {MAX_PUPILS_PER_SCHOOL - 1} pupils in one school")
    return [
        SeedSchool(
            urn=str(FIRST_URN + i),
            name=_name(i, phase),
            phase=phase,
            estab=(4000 if phase == "secondary" else 2000) + i,
            am_close=rng.choice(_AM_CLOSES[phase]),
            pm_close=rng.choice(_PM_CLOSES[phase]),
            pupils=share,
        )
        for i, (phase, share) in enumerate(zip(phases, shares, strict=True))
    ]
