"""Synthetic pupils, each with an absence profile, aged for their year group, with flags at
roughly national rates (FSM ~25 %, SEN support ~13 %, EHCP ~3 %, looked after ~1 %, CIN/CP a few
per cent). Absence is likelier with FSM and SEN, as it is in England's statistics."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.gb.upn import calc_check_digit

from casework.core.measures import Band
from casework.seed.data import ETHNICITIES, FORENAMES, LA_CODE, SURNAMES
from casework.seed.rng import seeded
from casework.seed.schools import SeedSchool

YEAR_GROUPS = {
    "primary": ("R", "1", "2", "3", "4", "5", "6"),
    "secondary": ("7", "8", "9", "10", "11"),
}


@dataclass(frozen=True, slots=True)
class AbsenceProfile:
    band: Band
    absence_rate: float  # share of possible sessions missed
    late_rate: float  # share of attended mornings arrived late
    takes_holiday: bool  # a term-time holiday (G) in the span


@dataclass(frozen=True, slots=True)
class SeedPupil:
    upn: str
    urn: str
    forename: str
    surname: str
    date_of_birth: date
    year_group: str
    sen_status: str
    fsm: bool
    pupil_premium: bool
    looked_after: bool
    previously_looked_after: bool
    cp_cin: str
    social_worker_email: str
    yot_worker_email: str
    young_carer: bool
    ethnicity: str
    home_language: str
    medical_condition: bool
    profile: AbsenceProfile

    def csv_row(self) -> list[str]:
        flag = {True: "true", False: "false"}
        return [
            self.upn, self.urn, self.forename, self.surname, self.date_of_birth.isoformat(),
            self.year_group, self.sen_status, flag[self.fsm], flag[self.pupil_premium],
            flag[self.looked_after], flag[self.previously_looked_after], self.cp_cin,
            self.social_worker_email, flag[self.young_carer], self.ethnicity, self.home_language,
            self.yot_worker_email, flag[self.medical_condition],
        ]  # fmt: skip


def make_upn(estab: int, issue_year: int, serial: int) -> str:
    """A valid permanent UPN: check letter + LA + establishment + issue year + serial."""
    body = f"{LA_CODE}{estab:04d}{issue_year % 100:02d}{serial:03d}"
    return calc_check_digit(body) + body


def date_of_birth(year_group: str, academic_year: int, rng: random.Random) -> date:
    """A birthday in the cohort: year N in the year starting September A was born between
    1 September A-N-5 and 31 August A-N-4 (Reception is N=0)."""
    n = 0 if year_group == "R" else int(year_group)
    first = date(academic_year - n - 5, 9, 1)
    return first + timedelta(days=rng.randrange((date(first.year + 1, 9, 1) - first).days))


def _ethnicity(rng: random.Random) -> tuple[str, str]:
    code, _share, language = rng.choices(ETHNICITIES, weights=[e[1] for e in ETHNICITIES])[0]
    # Second- and third-generation families mostly speak English at home.
    return code, language if rng.random() < 0.6 else "ENG"


def _profile(rng: random.Random, fsm: bool, sen_status: str) -> AbsenceProfile:
    severe = 0.012 + 0.02 * fsm + 0.015 * (sen_status == "E")
    persistent = severe + 0.11 + 0.12 * fsm + 0.04 * (sen_status != "N")
    at_risk = persistent + 0.2
    draw = rng.random()
    if draw < severe:
        band, rate = Band.SEVERE, rng.uniform(0.5, 0.85)
    elif draw < persistent:
        band, rate = Band.PERSISTENT, rng.uniform(0.1, 0.3)
    elif draw < at_risk:
        band, rate = Band.AT_RISK, rng.uniform(0.05, 0.095)
    else:
        band, rate = Band.NONE, rng.uniform(0.0, 0.045)
    late = rng.choices((0.005, 0.03, 0.12), weights=(70, 25, 5))[0]
    return AbsenceProfile(band, rate, late, takes_holiday=rng.random() < 0.06)


def _care(rng: random.Random) -> tuple[bool, bool, str]:
    """(looked after, previously looked after, cp_cin)."""
    draw = rng.random()
    looked_after, previously = draw < 0.01, 0.01 <= draw < 0.02
    care = rng.random()
    cp_cin = "CP" if care < 0.01 else "CIN" if care < 0.04 else "none"
    return looked_after, previously, "none" if looked_after else cp_cin


def _worker_email(rng: random.Random, prefix: str, service: str, pool: int) -> str:
    """One of a pool of fictional workers' addresses (a worker has many pupils)."""
    return f"{prefix}{rng.randrange(1, pool):02d}@{service}.example.org"


def make_pupil(school: SeedSchool, index: int, academic_year: int, seed: int) -> SeedPupil:
    """The `index`-th pupil of `school`, the same for the same seed whatever else is made."""
    rng = seeded(seed, "pupil", school.urn, index)
    groups = YEAR_GROUPS[school.phase]
    year_group = groups[index % len(groups)]
    fsm = rng.random() < 0.25
    sen_status = rng.choices(("N", "K", "E"), weights=(84, 13, 3))[0]
    looked_after, previously, cp_cin = _care(rng)
    ethnicity, home_language = _ethnicity(rng)
    has_worker = looked_after or cp_cin != "none"
    yot = school.phase == "secondary" and rng.random() < 0.015
    return SeedPupil(
        upn=make_upn(school.estab, academic_year - index // 1000, index % 1000),
        urn=school.urn,
        forename=rng.choice(FORENAMES),
        surname=rng.choice(SURNAMES),
        date_of_birth=date_of_birth(year_group, academic_year, rng),
        year_group=year_group,
        sen_status=sen_status,
        fsm=fsm,
        pupil_premium=fsm or looked_after or previously or rng.random() < 0.06,
        looked_after=looked_after,
        previously_looked_after=previously,
        cp_cin=cp_cin,
        social_worker_email=_worker_email(rng, "sw", "socialcare", 60) if has_worker else "",
        yot_worker_email=_worker_email(rng, "yot", "youthjustice", 12) if yot else "",
        young_carer=rng.random() < 0.03,
        ethnicity=ethnicity,
        home_language=home_language,
        medical_condition=rng.random() < 0.04,
        profile=_profile(rng, fsm, sen_status),
    )
