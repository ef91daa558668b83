"""`pupils.csv` rows: the pupil, their school, and the facts the ladder and its guards weigh.

`yot_worker_email` and `medical_condition` are optional columns: when a file leaves one out, a
pupil already stored keeps the value it had (a file without the column says nothing about it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from casework.core.imports.identifiers import UpnChecker, check_urn, normalise_email
from casework.core.imports.rows import (
    CsvTable,
    Raw,
    RowProblem,
    Validated,
    optional,
    parse_bool,
    parse_choice,
    parse_date,
    required,
    validate_keyed,
)

COLUMNS = (
    "upn",
    "urn",
    "forename",
    "surname",
    "date_of_birth",
    "year_group",
    "sen_status",
    "fsm",
    "pupil_premium",
    "looked_after",
    "previously_looked_after",
    "cp_cin",
    "social_worker_email",
    "young_carer",
    "ethnicity",
    "home_language",
)
OPTIONAL_COLUMNS = ("yot_worker_email", "medical_condition")

YEAR_GROUPS = frozenset({"N1", "N2", "R", *(str(n) for n in range(1, 15))})


class SenStatus(StrEnum):
    NONE = "N"
    SEN_SUPPORT = "K"
    EHCP = "E"


class CpCin(StrEnum):
    NONE = "none"
    CHILD_IN_NEED = "CIN"
    CHILD_PROTECTION = "CP"


@dataclass(frozen=True, slots=True)
class PupilRecord:
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
    social_worker_email: str | None
    yot_worker_email: str | None
    young_carer: bool
    ethnicity: str
    home_language: str
    medical_condition: bool


def _email_or_none(raw: Raw, name: str) -> str | None:
    value = optional(raw, name)
    return None if value is None else normalise_email(value, name)


class PupilRowParser:
    """Parses pupil rows against the known schools, as of `today` (for the date of birth)."""

    def __init__(self, known_urns: Set[str], today: date) -> None:
        self._known_urns = known_urns
        self._today = today
        self._upns = UpnChecker()

    def __call__(self, raw: Raw) -> PupilRecord:
        return PupilRecord(
            upn=self._upns.check(raw.get("upn", "")),
            urn=self._urn(required(raw, "urn")),
            forename=required(raw, "forename"),
            surname=required(raw, "surname"),
            date_of_birth=self._date_of_birth(raw),
            year_group=_year_group(required(raw, "year_group")),
            sen_status=parse_choice(raw, "sen_status", SenStatus).value,
            fsm=parse_bool(raw, "fsm"),
            pupil_premium=parse_bool(raw, "pupil_premium"),
            looked_after=parse_bool(raw, "looked_after"),
            previously_looked_after=parse_bool(raw, "previously_looked_after"),
            cp_cin=parse_choice(raw, "cp_cin", CpCin).value,
            social_worker_email=_email_or_none(raw, "social_worker_email"),
            yot_worker_email=_email_or_none(raw, "yot_worker_email"),
            young_carer=parse_bool(raw, "young_carer"),
            ethnicity=raw.get("ethnicity", ""),
            home_language=raw.get("home_language", ""),
            medical_condition=parse_bool(raw, "medical_condition", default=False),
        )

    def _urn(self, value: str) -> str:
        if check_urn(value) not in self._known_urns:
            raise RowProblem(f"unknown school urn {value}")
        return value

    def _date_of_birth(self, raw: Raw) -> date:
        born = parse_date(raw, "date_of_birth")
        if born >= self._today:
            raise RowProblem("date_of_birth must be in the past")
        return born


def _year_group(value: str) -> str:
    if value.upper() not in YEAR_GROUPS:
        raise RowProblem(f"year_group must be N1, N2, R or 1-14, not {value!r}")
    return value.upper()


def _keep_absent_columns(
    record: PupilRecord, header: Sequence[str], existing: Mapping[str, PupilRecord]
) -> PupilRecord:
    stored = existing.get(record.upn)
    absent = [name for name in OPTIONAL_COLUMNS if name not in header]
    if stored is None or not absent:
        return record
    return dataclasses.replace(record, **{name: getattr(stored, name) for name in absent})


def validate_pupils(
    table: CsvTable, known_urns: Set[str], existing: Mapping[str, PupilRecord], today: date
) -> Validated[PupilRecord]:
    """Pupils to insert or update; a pupil equal to the stored one is unchanged."""
    parse_row = PupilRowParser(known_urns, today)

    def parse(raw: Raw) -> PupilRecord:
        return _keep_absent_columns(parse_row(raw), table.header, existing)

    return validate_keyed(table, parse, lambda p: p.upn, existing)
