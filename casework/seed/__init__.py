"""A deterministic synthetic LA written as the five import CSVs (DESIGN.md formats).

The same arguments give byte-identical files: every random choice comes from a generator seeded
by the seed and the thing being made (a school, a pupil), never from the clock or hash order.
Marks are streamed pupil by pupil, so an LA of 100,000 pupils over a year (~38 million rows)
needs memory only for its pupils, not its marks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from casework.core.calendar import CalendarRow, build_calendar, england_bank_holidays
from casework.core.imports.calendar import COLUMNS as CALENDAR_COLUMNS
from casework.core.imports.contacts import COLUMNS as CONTACT_COLUMNS
from casework.core.imports.pupils import COLUMNS as PUPIL_REQUIRED_COLUMNS
from casework.core.imports.pupils import OPTIONAL_COLUMNS as PUPIL_OPTIONAL_COLUMNS
from casework.core.imports.schools import COLUMNS as SCHOOL_COLUMNS
from casework.seed.contacts import SeedContact, make_contacts
from casework.seed.people import SeedPupil, make_pupil
from casework.seed.registers import MARK_COLUMNS, plan_absence, pupil_rows, school_register
from casework.seed.rng import seeded
from casework.seed.schools import SeedSchool, make_schools
from casework.seed.terms import academic_year_rows, academic_years, polling_day

__all__ = ["write_synthetic_la"]

PUPIL_COLUMNS = (*PUPIL_REQUIRED_COLUMNS, *PUPIL_OPTIONAL_COLUMNS)


def calendar_for(schools: Sequence[SeedSchool], start: date, end: date) -> list[CalendarRow]:
    """LA-wide terms and INSET for every academic year in the span, plus each primary's
    polling-day closure (primary schools are often polling stations)."""
    rows: list[CalendarRow] = []
    for year in academic_years(start, end):
        rows += academic_year_rows(year)
        rows += [
            CalendarRow(s.urn, polling_day(year), "ALL", "closed")
            for s in schools
            if s.phase == "primary"
        ]
    return sorted(rows, key=lambda r: (r.entry_date, r.urn, r.kind))


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _people(
    schools: Sequence[SeedSchool], academic_year: int, seed: int
) -> tuple[list[SeedPupil], list[SeedContact]]:
    pupils = [make_pupil(s, i, academic_year, seed) for s in schools for i in range(s.pupils)]
    contacts: list[SeedContact] = []
    for pupil in pupils:
        contacts += make_contacts(pupil, len(contacts), seed)
    return pupils, contacts


def _write_marks(
    path: Path,
    schools: Sequence[SeedSchool],
    pupils: Sequence[SeedPupil],
    calendar: list[CalendarRow],
    span: tuple[date, date],
    seed: int,
) -> int:
    start, end = span
    holidays = england_bank_holidays(start.year, end.year + 1)
    registers = {
        s.urn: school_register(s.urn, build_calendar(s.urn, calendar, holidays), start, end)
        for s in schools
    }
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(MARK_COLUMNS)
        for pupil in pupils:
            register = registers[pupil.urn]
            rng = seeded(seed, "marks", pupil.upn)
            codes = plan_absence(pupil.profile, register, rng)
            handle.write(pupil_rows(pupil.upn, register, codes))
            count += register.size + sum("\0" in tail for tail in codes.values())
    return count


def write_synthetic_la(
    out_dir: Path, *, schools: int, pupils: int, start: date, end: date, seed: int
) -> dict[str, int]:
    """Write schools, calendar, pupils, contacts and marks CSVs; returns rows per file."""
    if end < start:
        raise ValueError("the span ends before it starts")
    out_dir.mkdir(parents=True, exist_ok=True)
    made = make_schools(schools, pupils, seeded(seed, "schools"))
    calendar = calendar_for(made, start, end)
    people, contacts = _people(made, academic_years(start, start)[0], seed)
    return {
        "schools": _write_csv(out_dir / "schools.csv", SCHOOL_COLUMNS, (s.csv_row() for s in made)),
        "calendar": _write_csv(
            out_dir / "calendar.csv",
            CALENDAR_COLUMNS,
            ([r.urn, r.entry_date.isoformat(), r.sessions, r.kind] for r in calendar),
        ),
        "pupils": _write_csv(out_dir / "pupils.csv", PUPIL_COLUMNS, (p.csv_row() for p in people)),
        "contacts": _write_csv(
            out_dir / "contacts.csv", CONTACT_COLUMNS, (c.csv_row() for c in contacts)
        ),
        "marks": _write_marks(out_dir / "marks.csv", made, people, calendar, (start, end), seed),
    }
