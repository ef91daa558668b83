"""`schools.csv` rows: one school each, with the times its AM and PM registers close."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from casework.core.imports.identifiers import check_la_code, check_urn
from casework.core.imports.rows import (
    CsvTable,
    Raw,
    RowProblem,
    Validated,
    parse_choice,
    parse_time,
    required,
    validate_keyed,
)

COLUMNS = ("urn", "name", "la_code", "phase", "am_register_closes", "pm_register_closes")


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
    )


def validate_schools(
    table: CsvTable, existing: Mapping[str, SchoolRecord]
) -> Validated[SchoolRecord]:
    """Schools to insert or update; a school equal to the stored one is unchanged."""
    return validate_keyed(table, parse_school, lambda s: s.urn, existing)
