"""`calendar.csv` rows: term starts and ends, closures and INSET days, per school or LA-wide."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from casework.core.calendar import CalendarKind
from casework.core.imports.identifiers import check_urn
from casework.core.imports.rows import (
    CsvTable,
    Raw,
    RowProblem,
    Validated,
    parse_choice,
    parse_date,
    validate_keyed,
)

COLUMNS = ("urn", "date", "sessions", "kind")


class ClosedSessions(StrEnum):
    AM = "AM"
    PM = "PM"
    ALL = "ALL"


_TERM_KINDS = frozenset({CalendarKind.TERM_START, CalendarKind.TERM_END})


@dataclass(frozen=True, slots=True)
class CalendarRecord:
    urn: str  # "" = every school of the LA
    entry_date: date
    sessions: str  # AM | PM | ALL for closures, "" for term rows
    kind: str


class CalendarRowParser:
    """Parses calendar rows against the schools already known."""

    def __init__(self, known_urns: Set[str]) -> None:
        self._known_urns = known_urns

    def __call__(self, raw: Raw) -> CalendarRecord:
        kind = parse_choice(raw, "kind", CalendarKind)
        return CalendarRecord(
            urn=self._urn(raw.get("urn", "")),
            entry_date=parse_date(raw, "date"),
            sessions=_sessions(raw.get("sessions", ""), kind),
            kind=kind.value,
        )

    def _urn(self, value: str) -> str:
        if not value:
            return ""
        if check_urn(value) not in self._known_urns:
            raise RowProblem(f"unknown school urn {value}")
        return value


def _sessions(value: str, kind: CalendarKind) -> str:
    if kind in _TERM_KINDS:
        if value:
            raise RowProblem(f"sessions must be blank for {kind.value}")
        return ""
    try:
        return ClosedSessions(value).value
    except ValueError:
        allowed = "AM, PM or ALL"
        raise RowProblem(f"sessions must be {allowed} for {kind.value}, not {value!r}") from None


def validate_calendar(
    table: CsvTable, known_urns: Set[str], existing: Set[CalendarRecord]
) -> Validated[CalendarRecord]:
    """Calendar rows to insert; a row already stored is unchanged (all its columns are its key)."""
    stored = {record: record for record in existing}
    return validate_keyed(table, CalendarRowParser(known_urns), _itself, stored)


def _itself(record: CalendarRecord) -> CalendarRecord:
    return record
