"""A CTF written from plain values: a pupil's details, contacts and marks, for a transfer.

The element names are those `casework.core.imports.ctf` reads (docs/ctf.md), so an exported file
imports again with the same marks. What the engine does not hold is left out rather than made
up (sex, the Estab number, SEN and FSM start dates); FSM eligibility is stated as from the day
the file is made. Marks are grouped by academic year (1 August - 31 July), one `YearData` each,
with the totals the marks give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from casework.core.imports.contacts import ContactRecord
from casework.core.imports.ctf_marks import count_totals, encode_marks
from casework.core.imports.pupils import PupilRecord
from casework.core.imports.schools import SchoolRecord

CTF_VERSION = "25.0"

SessionCodes = Mapping[tuple[date, str], str]  # (school date, AM|PM) -> code


@dataclass(frozen=True, slots=True)
class PupilTransfer:
    """Everything one pupil's part of the file is made from."""

    pupil: PupilRecord
    contacts: Sequence[ContactRecord] = ()
    marks: SessionCodes = field(default_factory=dict)


def _add(parent: Element, name: str, value: str | None) -> Element:
    element = SubElement(parent, name)
    if value:
        element.text = value
    return element


def academic_year(day: date) -> int:
    """The year an academic year starts in (1 August - 31 July)."""
    return day.year if day.month >= 8 else day.year - 1


def write_ctf(school: SchoolRecord, pupils: Sequence[PupilTransfer], made_at: datetime) -> bytes:
    """The CTF as UTF-8 XML bytes; `made_at` is local time, as a CTF header gives it."""
    root = Element("CTfile")
    header = SubElement(root, "Header")
    _add(header, "DocumentName", "Common Transfer File")
    _add(header, "CTFversion", CTF_VERSION)
    _add(header, "DateTime", made_at.replace(tzinfo=None, microsecond=0).isoformat())
    _add(header, "DocumentQualifier", "partial")
    source = SubElement(header, "SourceSchool")
    _add(source, "LEA", school.la_code)
    _add(source, "URN", school.urn)
    _add(source, "SchoolName", school.name)
    _add(source, "AcademicYear", str(academic_year(made_at.date())))
    data = SubElement(root, "CTFpupilData")
    for transfer in pupils:
        _pupil(data, school, transfer, made_at.date())
    indent(root)
    written: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return written


def _pupil(parent: Element, school: SchoolRecord, transfer: PupilTransfer, made: date) -> None:
    record = transfer.pupil
    pupil = SubElement(parent, "Pupil")
    _add(pupil, "UPN", record.upn)
    _add(pupil, "Surname", record.surname)
    _add(pupil, "Forename", record.forename)
    _add(pupil, "DOB", record.date_of_birth.isoformat())
    details = SubElement(pupil, "BasicDetails")
    _add(details, "NCyearActual", record.year_group)
    _add(details, "Ethnicity", record.ethnicity)
    if record.home_language:
        language = SubElement(SubElement(details, "Languages"), "Type")
        _add(language, "LanguageType", "F")
        _add(language, "Language", record.home_language)
    _add(details, "MedicalFlag", _bool(record.medical_condition))
    _add(SubElement(pupil, "LookedAfter"), "InCare", _bool(record.looked_after))
    _add(SubElement(SubElement(pupil, "SENhistory"), "SEN"), "SENprovision", record.sen_status)
    if record.fsm:
        fsm = SubElement(SubElement(pupil, "FSMhistory"), "FSMinstance")
        _add(fsm, "FSMstartDate", made.isoformat())
    contacts = SubElement(pupil, "Contacts")
    for contact in sorted(transfer.contacts, key=lambda c: c.priority):
        _contact(contacts, contact)
    _attendance(SubElement(pupil, "Attendance"), school, transfer.marks)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _contact(parent: Element, record: ContactRecord) -> None:
    contact = SubElement(parent, "Contact")
    forename, _, surname = record.name.rpartition(" ")
    _add(contact, "Order", str(record.priority))
    _add(contact, "Forename", forename)
    _add(contact, "Surname", surname)
    _add(contact, "Relationship", record.relationship)
    _add(contact, "Responsibility", _bool(record.parental_responsibility))
    if record.address:
        lines = SubElement(SubElement(contact, "Address"), "AddressLines")
        parts = record.address.split(", ")
        if len(parts) > 5:  # a CTF address has five lines: the rest share the last
            parts = [*parts[:4], ", ".join(parts[4:])]
        for number, line in enumerate(parts, start=1):
            _add(lines, f"AddressLine{number}", line)
    if record.mobile:
        phone = SubElement(SubElement(contact, "Phones"), "Phone")
        _add(phone, "TelephoneType", "M")
        _add(phone, "PhoneNo", record.mobile)
    if record.email:
        _add(contact, "Email", record.email)


def _attendance(parent: Element, school: SchoolRecord, marks: SessionCodes) -> None:
    years: dict[int, dict[tuple[date, str], str]] = {}
    for (day, session), code in marks.items():
        years.setdefault(academic_year(day), {})[(day, session)] = code
    for year, year_marks in sorted(years.items()):
        days = [day for day, _ in year_marks]
        data = SubElement(parent, "YearData")
        _add(data, "Year", str(year))
        _add(data, "LEA", school.la_code)
        for name, total in count_totals(year_marks.values()).items():
            _add(data, name, str(total))
        sessions = SubElement(data, "AttendSessions")
        _add(sessions, "AttendanceStartDate", min(days).isoformat())
        _add(sessions, "AttendanceMarks", encode_marks(min(days), max(days), year_marks))
