"""A parsed CTF as the rows of `pupils.csv`, `contacts.csv` and `marks.csv`, so that a CTF goes
through exactly the validation, quarantine and storage of the CSV imports.

Each row's number is the pupil's position in the file (pupil 1, 2, ...), the nearest thing an
XML file has to a spreadsheet row. What a CTF does not carry (pupil premium, CP/CIN, a social
worker) is kept from the stored pupil, so a later file updates a pupil without erasing what
the LA recorded. A contact's id is the pupil's UPN and the contact's order, so a later file
updates the same contact. A mark whose slot already holds a different code becomes an amendment
recorded at the file's DateTime; the first version of a mark is recorded at the register close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from casework.core.codes import UnknownCode, normalise_code
from casework.core.imports import contacts, marks, pupils
from casework.core.imports.ctf import CtfContact, CtfFile, CtfPupil, CtfYear
from casework.core.imports.ctf_marks import iter_marks, split_marks, totals_disagreement
from casework.core.imports.pupils import PupilRecord
from casework.core.imports.rows import CsvTable, RowError

PUPIL_COLUMNS = (*pupils.COLUMNS, "yot_worker_email", "medical_condition")
Slot = tuple[str, str, str]  # upn, school date (ISO), session

_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})


def _flag(value: str, default: bool) -> str:
    """A CTF boolean as the CSV's `true`/`false`; anything else is passed on to be rejected."""
    lowered = value.lower()
    if not lowered:
        return "true" if default else "false"
    if lowered in _TRUE:
        return "true"
    return "false" if lowered in _FALSE else value


def _fsm(periods: Sequence[tuple[str, str]], as_of: date | None) -> bool:
    """Eligible for free school meals on `as_of`: a period has started and not ended by then."""
    for start, end in periods:
        if as_of is None:
            if start and not end:
                return True
            continue
        if start and start <= as_of.isoformat() and (not end or end >= as_of.isoformat()):
            return True
    return False


def file_date(ctf: CtfFile) -> date | None:
    """The date the file was made (its header DateTime), if it gives a readable one."""
    try:
        return date.fromisoformat(ctf.header.date_time[:10])
    except ValueError:
        return None


def pupil_rows(ctf: CtfFile, urn: str, stored: Mapping[str, PupilRecord]) -> CsvTable:
    """One `pupils.csv` row per pupil in the file."""
    as_of = file_date(ctf)
    return CsvTable(
        PUPIL_COLUMNS,
        [(p.position, _pupil_row(p, urn, stored.get(p.upn), as_of)) for p in ctf.pupils],
    )


def _pupil_row(
    pupil: CtfPupil, urn: str, kept: PupilRecord | None, as_of: date | None
) -> list[str]:
    def keep(name: str, default: str) -> str:
        value = getattr(kept, name) if kept is not None else None
        if isinstance(value, bool):
            return "true" if value else "false"
        return default if value is None else str(value)

    fields = {
        "upn": pupil.upn,
        "urn": urn,
        "forename": pupil.forename,
        "surname": pupil.surname,
        "date_of_birth": pupil.dob,
        "year_group": pupil.year_group,
        "sen_status": (pupil.sen_provision or "N").upper(),
        "fsm": "true" if _fsm(pupil.fsm_periods, as_of) else "false",
        "pupil_premium": keep("pupil_premium", "false"),
        "looked_after": _flag(pupil.in_care, False),
        "previously_looked_after": keep("previously_looked_after", "false"),
        "cp_cin": keep("cp_cin", "none"),
        "social_worker_email": keep("social_worker_email", ""),
        "young_carer": keep("young_carer", "false"),
        "ethnicity": pupil.ethnicity,
        "home_language": pupil.language,
        "yot_worker_email": keep("yot_worker_email", ""),
        "medical_condition": _flag(pupil.medical_flag, kept is not None and kept.medical_condition),
    }
    return [fields[name] for name in PUPIL_COLUMNS]


def contact_rows(ctf: CtfFile, skip: Set[str]) -> CsvTable:
    """One `contacts.csv` row per contact of each pupil not in `skip` (pupils refused)."""
    rows = [
        (pupil.position, _contact_row(pupil, contact, index))
        for pupil in ctf.pupils
        if pupil.upn and pupil.upn not in skip
        for index, contact in enumerate(pupil.contacts, start=1)
    ]
    return CsvTable(contacts.COLUMNS, rows)


def _contact_row(pupil: CtfPupil, contact: CtfContact, index: int) -> list[str]:
    mobile = next((number for kind, number in contact.phones if kind.upper() == "M"), "")
    address = contact.address
    if not address and _flag(contact.address_as_pupil, False) == "true":
        address = pupil.address
    channel = "sms" if mobile else "email" if contact.email else "letter"
    priority = contact.order if contact.order.isdigit() else str(index)
    fields = {
        "upn": pupil.upn,
        "contact_id": f"{pupil.upn}-{priority}",
        "name": " ".join(part for part in (contact.forename, contact.surname) if part),
        "relationship": contact.relationship,
        "parental_responsibility": _flag(contact.responsibility, False),
        "priority": priority,
        "mobile": mobile,
        "email": contact.email,
        "preferred_channel": channel,
        "language": "en",  # a CTF gives no contact's language; English until the school says
        "address": address,
    }
    return [fields[name] for name in contacts.COLUMNS]


_LEFT_OUT = "its contacts and marks were not imported, since the pupil was refused"


@dataclass(slots=True)
class MarkRows:
    """A CTF's marks as `marks.csv` rows, the years refused whole, and notes for the report."""

    table: CsvTable
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MarkSource:
    """What turning marks into rows needs besides the file."""

    urn: str
    lea: str
    estab: str
    skip: Set[str]  # UPNs of pupils refused: their marks have nobody to belong to
    stored_latest: Mapping[Slot, str]  # the latest stored code of each slot in scope


def mark_rows(ctf: CtfFile, source: MarkSource) -> MarkRows:
    """Every mark of every pupil's years at the source school, in `marks.COLUMNS` order."""
    found = MarkRows(CsvTable(marks.COLUMNS, []))
    for pupil in ctf.pupils:
        if not pupil.upn or pupil.upn in source.skip:
            if pupil.contacts or pupil.years:
                found.notes.append(f"pupil {pupil.position}: {_LEFT_OUT}")
            continue
        for year in pupil.years:
            _year_rows(pupil, year, source, ctf.header.date_time, found)
    return found


def _year_rows(
    pupil: CtfPupil, year: CtfYear, source: MarkSource, file_time: str, found: MarkRows
) -> None:
    where = f"pupil {pupil.position} ({pupil.upn}), year {year.year or '?'}"
    if (year.lea or source.lea, year.estab or source.estab) != (source.lea, source.estab):
        elsewhere = f"{year.lea}/{year.estab}"
        found.notes.append(f"{where}: attendance at establishment {elsewhere} not imported")
        return
    try:
        start = date.fromisoformat(year.start_date)
    except ValueError:
        raw = {"upn": pupil.upn, "attendance_start_date": year.start_date}
        found.errors.append(RowError(pupil.position, _bad_start(year.start_date), raw))
        return
    items = split_marks(year.marks)
    days = _iso_days(start, (len(items) + 1) // 2)
    upn, urn, stored, rows = pupil.upn, source.urn, source.stored_latest, found.table.rows
    codes: list[str] = []
    for day, session, code in iter_marks(items):
        # Marks are many: the amendment check runs only when marks of the span are stored.
        amended = bool(stored) and _amends(stored.get((upn, days[day], session)), code)
        recorded = file_time if amended else ""
        rows.append((pupil.position, [upn, urn, days[day], session, code, "", recorded]))
        codes.append(code)
    if year.totals:
        disagreements = totals_disagreement(year.totals, codes)
        found.notes += [f"{where}: {d}" for d in disagreements]


@lru_cache(maxsize=16)
def _iso_days(start: date, count: int) -> tuple[str, ...]:
    """`count` ISO dates from `start`: a school's pupils mostly share one start and length."""
    return tuple((start + timedelta(days=n)).isoformat() for n in range(count))


def _bad_start(value: str) -> str:
    if not value:
        return "AttendanceStartDate is missing: the year's marks cannot be placed"
    return f"AttendanceStartDate {value!r} is not a date (YYYY-MM-DD): its marks cannot be placed"


def _amends(stored: str | None, code: str) -> bool:
    """A stored slot whose latest code differs from the file's: the file amends it."""
    if stored is None:
        return False
    try:
        return normalise_code(code)[0] != stored
    except UnknownCode:
        return False  # rejected on its own by the marks validator
