"""A DfE common transfer file (CTF) read into plain values, without I/O and without trusting it.

The XML is parsed by defusedxml with any DTD refused, so entity expansion ("billion laughs") and
external entities are stopped before they cost anything. Element names are matched without
regard to case or namespace (MIS exports differ: `CTFversion`, `CTFVersion`). Values stay the
text the file holds; `casework.core.imports.ctf_rows` turns them into the CSV importers' rows, so a
CTF meets exactly the validation a CSV file meets. Element names: docs/ctf.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class CtfProblem(ValueError):
    """The whole file is refused; the message says why (never with a pupil's details)."""


@dataclass(frozen=True, slots=True)
class CtfHeader:
    version: str
    date_time: str
    lea: str
    estab: str
    urn: str


@dataclass(frozen=True, slots=True)
class CtfYear:
    """One `Attendance/YearData`: a school's marks for one year, and the file's own totals."""

    year: str
    lea: str
    estab: str
    start_date: str
    marks: str
    totals: dict[str, str]  # SessionsPossible, SessionsAttended, ... as the file gives them


@dataclass(frozen=True, slots=True)
class CtfContact:
    order: str
    title: str
    forename: str
    surname: str
    relationship: str
    responsibility: str
    phones: list[tuple[str, str]]  # (TelephoneType, PhoneNo)
    email: str
    address: str
    address_as_pupil: str


@dataclass(frozen=True, slots=True)
class CtfPupil:
    position: int  # 1 for the file's first pupil: the "row" a person is told about
    upn: str
    surname: str
    forename: str
    dob: str
    year_group: str
    ethnicity: str
    language: str
    medical_flag: str
    in_care: str
    sen_provision: str  # the latest SEN entry's provision (N, K, E), or ""
    fsm_periods: list[tuple[str, str]]  # (FSMstartDate, FSMendDate)
    address: str
    contacts: list[CtfContact] = field(default_factory=list)
    years: list[CtfYear] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CtfFile:
    header: CtfHeader
    pupils: list[CtfPupil]


TOTALS = ("SessionsPossible", "SessionsAttended", "SessionsAuthorised", "SessionsUnauthorised")


def _name(element: Element) -> str:
    """The element's local name in lower case (`{ns}UPN` -> `upn`)."""
    return element.tag.rpartition("}")[2].lower()


def children(parent: Element | None, name: str) -> Iterator[Element]:
    """The children of `parent` called `name`, whatever their case."""
    if parent is None:
        return
    wanted = name.lower()
    for child in parent:
        if isinstance(child.tag, str) and _name(child) == wanted:
            yield child


def child(parent: Element | None, path: str) -> Element | None:
    """The first element along a `/`-separated path of names, or None."""
    found = parent
    for name in path.split("/"):
        found = next(children(found, name), None)
        if found is None:
            return None
    return found


def text(parent: Element | None, path: str) -> str:
    """The trimmed text at `path`, or "" when the element is absent or empty."""
    found = child(parent, path)
    return "" if found is None or found.text is None else found.text.strip()


def parse_xml(data: bytes) -> Element:
    """The root element; raises CtfProblem for XML that is malformed or declares a DTD."""
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException:
        raise CtfProblem(
            "the file declares a DTD or entities, which a CTF never needs: refused unread"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise CtfProblem(
            f"the file is not well-formed XML (line {line}, column {column})"
        ) from None
    return root


def parse_ctf(data: bytes) -> CtfFile:
    """The header and pupils of a CTF; raises CtfProblem when it is not one."""
    root = parse_xml(data)
    if _name(root) != "ctfile":
        raise CtfProblem(f"the root element is {_name(root)!r}, not CTfile")
    header = child(root, "Header")
    if header is None:
        raise CtfProblem("the file has no Header")
    pupils = children(child(root, "CTFpupilData"), "Pupil")
    return CtfFile(_header(header), [_pupil(n, p) for n, p in enumerate(pupils, start=1)])


def _header(header: Element) -> CtfHeader:
    return CtfHeader(
        version=text(header, "CTFversion"),
        date_time=text(header, "DateTime"),
        lea=text(header, "SourceSchool/LEA"),
        estab=text(header, "SourceSchool/Estab"),
        urn=text(header, "SourceSchool/URN"),
    )


def _pupil(position: int, pupil: Element) -> CtfPupil:
    details = child(pupil, "BasicDetails")
    return CtfPupil(
        position=position,
        upn=text(pupil, "UPN"),
        surname=text(pupil, "Surname"),
        forename=text(pupil, "Forename"),
        dob=text(pupil, "DOB"),
        year_group=text(details, "NCyearActual"),
        ethnicity=text(details, "Ethnicity"),
        language=text(details, "Languages/Type/Language"),
        medical_flag=text(details, "MedicalFlag"),
        in_care=text(pupil, "LookedAfter/InCare"),
        sen_provision=_sen_provision(child(pupil, "SENhistory")),
        fsm_periods=[
            (text(fsm, "FSMstartDate"), text(fsm, "FSMendDate"))
            for fsm in children(child(pupil, "FSMhistory"), "FSMinstance")
        ],
        address=address_text(child(pupil, "Address")),
        contacts=[_contact(c) for c in children(child(pupil, "Contacts"), "Contact")],
        years=[_year(y) for y in children(child(pupil, "Attendance"), "YearData")],
    )


def _sen_provision(history: Element | None) -> str:
    """The provision of the SEN entry with the latest start date (ISO dates sort as text)."""
    entries = [
        (text(sen, "StartDate"), text(sen, "SENprovision")) for sen in children(history, "SEN")
    ]
    return max(entries)[1] if entries else ""


def address_text(address: Element | None) -> str:
    """Every line of an address (BS7666 or AddressLines, then the postcode) joined by commas."""
    if address is None:
        return ""
    lines = [
        element.text.strip()
        for element in address.iter()
        if element is not address and element.text and element.text.strip()
    ]
    return ", ".join(lines)


def _contact(contact: Element) -> CtfContact:
    return CtfContact(
        order=text(contact, "Order"),
        title=text(contact, "Title"),
        forename=text(contact, "Forename"),
        surname=text(contact, "Surname"),
        relationship=text(contact, "Relationship"),
        responsibility=text(contact, "Responsibility"),
        phones=[
            (text(phone, "TelephoneType"), text(phone, "PhoneNo"))
            for phone in children(child(contact, "Phones"), "Phone")
        ],
        email=text(contact, "Email"),
        address=address_text(child(contact, "Address")),
        address_as_pupil=text(contact, "AddressAsPupil"),
    )


def _year(year: Element) -> CtfYear:
    sessions = child(year, "AttendSessions")
    return CtfYear(
        year=text(year, "Year"),
        lea=text(year, "LEA"),
        estab=text(year, "Estab"),
        start_date=text(sessions, "AttendanceStartDate"),
        # Trimmed at the ends only: inside, the plain form has one character per session.
        marks=text(sessions, "AttendanceMarks"),
        totals={name: text(year, name) for name in TOTALS if child(year, name) is not None},
    )
