"""`schools.csv` rows: one school each, with the times its AM and PM registers close.

`phone` and `email` (the school office's) are optional columns: when a file leaves one out, a
school already stored keeps the value it had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from casework.core.imports.identifiers import (
    check_la_code,
    check_urn,
    normalise_email,
    normalise_mobile,
)
from casework.core.imports.rows import (
    CsvTable,
    Raw,
    RowProblem,
    Validated,
    optional,
    parse_choice,
    parse_time,
    required,
    validate_keyed,
)

COLUMNS = ("urn", "name", "la_code", "phase", "am_register_closes", "pm_register_closes")
# Optional: the school office's phone and email, given in every letter and text to a family.
OPTIONAL_COLUMNS = ("phone", "email")


class Phase(StrEnum):
    NURSERY = "nursery"
    PRIMARY = "primary"
    MIDDLE = "middle"
    SECONDARY = "secondary"
    ALL_THROUGH = "all-through"
    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "alternative-provision"


@dataclass(frozen=True, slots=True)
class SchoolRecord:
    urn: str
    name: str
    la_code: str
    phase: str
    am_register_closes: time
    pm_register_closes: time
    phone: str = ""
    email: str = ""


def parse_school(raw: Raw) -> SchoolRecord:
    am_close = parse_time(raw, "am_register_closes")
    pm_close = parse_time(raw, "pm_register_closes")
    if am_close >= pm_close:
        raise RowProblem("am_register_closes must be earlier than pm_register_closes")
    return SchoolRecord(
        urn=check_urn(required(raw, "urn")),
        name=required(raw, "name"),
        la_code=check_la_code(required(raw, "la_code")),
        phase=parse_choice(raw, "phase", Phase).value,
        am_register_closes=am_close,
        pm_register_closes=pm_close,
        phone=_contact(raw, "phone"),
        email=_contact(raw, "email"),
    )


def _contact(raw: Raw, name: str) -> str:
    value = optional(raw, name)
    if value is None:
        return ""
    return normalise_mobile(value, name) if name == "phone" else normalise_email(value, name)


def validate_schools(
    table: CsvTable, existing: Mapping[str, SchoolRecord]
) -> Validated[SchoolRecord]:
    """Schools to insert or update; a school equal to the stored one is unchanged."""
    absent = [name for name in OPTIONAL_COLUMNS if name not in table.header]

    def parse(raw: Raw) -> SchoolRecord:
        record = parse_school(raw)
        stored = existing.get(record.urn)
        if stored is None or not absent:
            return record
        return dataclasses.replace(record, **{name: getattr(stored, name) for name in absent})

    return validate_keyed(table, parse, lambda s: s.urn, existing)
