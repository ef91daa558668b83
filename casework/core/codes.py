"""The 2024 register codes: what each means and which statistical class it falls in.

DOMAIN.md Part 1 rule 1 and Part 2 §2. Every code has exactly one class; legacy codes from files
made before August 2024 are mapped to their nearest 2024 class and flagged as legacy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class CodeClass(StrEnum):
    PRESENT = "present"
    EDUCATIONAL = "educational_activity"
    AUTHORISED = "authorised_absence"
    UNAUTHORISED = "unauthorised_absence"
    NOT_POSSIBLE = "not_possible"


UNEXPLAINED: frozenset[str] = frozenset({"N", "O"})
PENALTY: frozenset[str] = frozenset({"G", "N", "O", "U"})
GROUND_I: frozenset[str] = frozenset({"G", "N", "O"})
ILLNESS: frozenset[str] = frozenset({"I"})
LATE_PRESENT: frozenset[str] = frozenset({"L"})
LATE: frozenset[str] = frozenset({"L", "U"})
HOLIDAY_UNAUTHORISED: frozenset[str] = frozenset({"G"})
NO_MARK = "-"


@dataclass(frozen=True, slots=True)
class RegisterCode:
    code: str
    meaning: str
    klass: CodeClass
    legacy: bool = False

    @property
    def is_possible(self) -> bool:
        return self.klass is not CodeClass.NOT_POSSIBLE

    @property
    def is_attendance(self) -> bool:
        return self.klass in (CodeClass.PRESENT, CodeClass.EDUCATIONAL)

    @property
    def is_absence(self) -> bool:
        return self.klass in (CodeClass.AUTHORISED, CodeClass.UNAUTHORISED)

    @property
    def is_unexplained(self) -> bool:
        return self.code in UNEXPLAINED

    @property
    def is_penalty_code(self) -> bool:
        return self.code in PENALTY

    @property
    def is_ground_i(self) -> bool:
        return self.code in GROUND_I

    @property
    def is_late(self) -> bool:
        return self.code in LATE

    @property
    def is_illness(self) -> bool:
        return self.code in ILLNESS

    @property
    def is_holiday_unauthorised(self) -> bool:
        return self.code in HOLIDAY_UNAUTHORISED


_P = CodeClass.PRESENT
_E = CodeClass.EDUCATIONAL
_A = CodeClass.AUTHORISED
_U = CodeClass.UNAUTHORISED
_X = CodeClass.NOT_POSSIBLE

_TABLE: tuple[RegisterCode, ...] = (
    RegisterCode("/", "Present (AM)", _P),
    RegisterCode("\\", "Present (PM)", _P),
    RegisterCode("L", "Late, arrived before the register closed", _P),
    RegisterCode("K", "Attending education arranged by the local authority", _E),
    RegisterCode("V", "Educational visit or trip", _E),
    RegisterCode("P", "Approved sporting activity", _E),
    RegisterCode("W", "Work experience", _E),
    RegisterCode("B", "Other approved educational activity", _E),
    RegisterCode("D", "Dual registered, attending another school", _X),
    RegisterCode("C1", "Leave for regulated performance or employment abroad", _A),
    RegisterCode("M", "Medical or dental appointment", _A),
    RegisterCode("J1", "Leave for an interview", _A),
    RegisterCode("S", "Study leave", _A),
    RegisterCode("X", "Not of compulsory school age, not required to attend", _X),
    RegisterCode("C2", "Part-time timetable, absent with leave", _A),
    RegisterCode("C", "Leave of absence for exceptional circumstances", _A),
    RegisterCode("T", "Parent travelling for occupational purposes", _A),
    RegisterCode("R", "Religious observance", _A),
    RegisterCode("I", "Illness", _A),
    RegisterCode("E", "Suspended or excluded, no alternative provision", _A),
    RegisterCode("G", "Holiday not granted by the school", _U),
    RegisterCode("N", "Reason not yet established", _U),
    RegisterCode("O", "Absent in other or unknown circumstances", _U),
    RegisterCode("U", "Arrived after the register closed", _U),
    RegisterCode("Q", "Unable to attend: lack of access arrangements", _X),
    RegisterCode("Y1", "Unable to attend: transport not available", _X),
    RegisterCode("Y2", "Unable to attend: widespread travel disruption", _X),
    RegisterCode("Y3", "Unable to attend: part of the premises out of use", _X),
    RegisterCode("Y4", "Unable to attend: whole school site unexpectedly closed", _X),
    RegisterCode("Y5", "Unable to attend: in criminal justice detention", _X),
    RegisterCode("Y6", "Unable to attend: public health guidance or law", _X),
    RegisterCode("Y7", "Unable to attend: any other unavoidable cause", _X),
    RegisterCode("Z", "Prospective pupil, not yet on the admission register", _X),
    RegisterCode("#", "Planned whole or partial school closure", _X),
    # DOMAIN.md rule 1: pre-2024 codes still found in historic files.
    RegisterCode("H", "Agreed family holiday (legacy)", _A, legacy=True),
    RegisterCode("F", "Agreed extended family holiday (legacy)", _A, legacy=True),
    RegisterCode("Y", "Unable to attend, exceptional circumstances (legacy)", _X, legacy=True),
)

CODES: Mapping[str, RegisterCode] = MappingProxyType({c.code: c for c in _TABLE})

# Legacy codes whose 2024 successor is a single code: the mark is stored as the successor.
_RENAMED: Mapping[str, str] = MappingProxyType({"J": "J1"})

ATTENDANCE_CODES: frozenset[str] = frozenset(c.code for c in _TABLE if c.is_attendance)
POSSIBLE_CODES: frozenset[str] = frozenset(c.code for c in _TABLE if c.is_possible)
NOT_POSSIBLE_CODES: frozenset[str] = frozenset(c.code for c in _TABLE if not c.is_possible)
AUTHORISED_CODES: frozenset[str] = frozenset(
    c.code for c in _TABLE if c.klass is CodeClass.AUTHORISED
)


class UnknownCode(ValueError):
    """A register mark that is not a 2024 code nor a recognised legacy one."""


def normalise_code(raw: str) -> tuple[str, bool]:
    """The canonical code for a raw mark, and whether it was a legacy code."""
    text = raw.strip().upper()
    if text in ("", NO_MARK):
        raise UnknownCode(f"{raw!r} is no mark, not a code")
    if text in _RENAMED:
        return _RENAMED[text], True
    found = CODES.get(text)
    if found is None:
        raise UnknownCode(f"unknown register code {raw.strip()!r}")
    return found.code, found.legacy


def code_info(code: str) -> RegisterCode:
    """The register code for a canonical or raw code; raises UnknownCode."""
    found = CODES.get(code)
    if found is not None:
        return found
    return CODES[normalise_code(code)[0]]
