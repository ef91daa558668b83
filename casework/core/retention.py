"""How long each kind of record is kept (DOMAIN.md rule 28, Part 2 §15), as cut-off dates.

Periods come from the policy file's `[retention]` section, in years, each counted from the
record's own date: a register mark from its school date, a message or letter from the day it
was sent, a completed task from its completion, a closed stage from its closing, the whole of a
pupil's record from their date of birth (IRMS: DOB + 25), the audit trail from each entry.
A record dated before its cut-off is due for removal. Pure: `today` is an argument.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class RecordType(StrEnum):
    MARKS = "marks"
    MESSAGES = "messages"
    LETTERS = "letters"
    TASKS = "tasks"
    STAGES = "stages"
    PUPILS = "pupils"  # the whole record: counted from the date of birth
    AUDIT = "audit"


def years_before(day: date, years: int) -> date:
    """`day` moved back `years` years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def cutoffs(periods: dict[RecordType, int], today: date) -> dict[RecordType, date]:
    """For each record type, the first date still kept: anything dated earlier is removed."""
    return {kind: years_before(today, years) for kind, years in periods.items()}
