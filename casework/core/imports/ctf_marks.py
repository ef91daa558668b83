"""A CTF's attendance marks: the two encodings decoded into sessions, and the file's totals checked.

`AttendanceMarks` holds a mark for every session of every calendar day from
`AttendanceStartDate`, AM then PM, with `#` for a session that does not take place. The plain
form has one character per session; the comma-separated form (CTF 24) has one item per session,
so two-character codes (`C1`, `J1`, `Y1`...) fit. `-` (no mark yet) and `#` are not marks to import.
Codes are not checked here: the marks validator checks them, as it does a CSV's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import NamedTuple

from casework.core.codes import CodeClass, UnknownCode, code_info

NO_SESSION = "#"
NO_MARK = "-"
_SESSIONS = ("AM", "PM")


class SessionMark(NamedTuple):
    school_date: date
    session: str  # AM | PM
    code: str  # as the file gives it


def split_marks(marks: str) -> list[str]:
    """One item per session: comma-separated when the file uses commas, else one per character."""
    if "," in marks:
        return [item.strip() for item in marks.split(",")]
    return list(marks)


_NOT_MARKS = frozenset({"", " ", NO_SESSION, NO_MARK})


def iter_marks(items: list[str]) -> Iterator[tuple[int, str, str]]:
    """(day number from the start, AM|PM, code) of each marked session; `#`, `-` and blanks are
    left out. Day numbers, not dates: a year's 700 sessions share 350 dates, made once each."""
    for index, item in enumerate(items):
        if item not in _NOT_MARKS:
            yield index >> 1, _SESSIONS[index & 1], item


def decode_marks(start: date, marks: str) -> list[SessionMark]:
    """The marked sessions from `start` on; sessions with `#`, `-` or nothing are left out."""
    return [
        SessionMark(start + timedelta(days=day), session, code)
        for day, session, code in iter_marks(split_marks(marks))
    ]


def year_span(start_text: str, marks: str) -> tuple[date, date] | None:
    """The first and last calendar day a year's marks cover, or None without a readable start."""
    try:
        start = date.fromisoformat(start_text)
    except ValueError:
        return None
    days = max(len(split_marks(marks)) - 1, 0) // 2
    return start, start + timedelta(days=days)


def encode_marks(start: date, end: date, marks: Mapping[tuple[date, str], str]) -> str:
    """`marks` ((date, session) -> code) as a CTF string from `start` to `end` inclusive.

    The plain form when every code is one character (what every CTF reader understands), the
    comma-separated form when a two-character code needs it.
    """
    days = (end - start).days + 1
    items = [
        marks.get((start + timedelta(days=n), session), NO_SESSION)
        for n in range(days)
        for session in _SESSIONS
    ]
    if all(len(item) == 1 for item in items):
        return "".join(items)
    return ",".join(items)


_TOTAL_CLASSES: Mapping[str, frozenset[CodeClass]] = {
    "SessionsPossible": frozenset(
        {CodeClass.PRESENT, CodeClass.EDUCATIONAL, CodeClass.AUTHORISED, CodeClass.UNAUTHORISED}
    ),
    "SessionsAttended": frozenset({CodeClass.PRESENT, CodeClass.EDUCATIONAL}),
    "SessionsAuthorised": frozenset({CodeClass.AUTHORISED}),
    "SessionsUnauthorised": frozenset({CodeClass.UNAUTHORISED}),
}


def count_totals(codes: Iterable[str]) -> dict[str, int]:
    """Sessions possible, attended, authorised and unauthorised (DOMAIN.md rules 1-2); codes
    that are not register codes count nowhere (they are quarantined on their own)."""
    classes: Counter[CodeClass] = Counter()
    for code, times in Counter(codes).items():  # a few distinct codes, each looked up once
        try:
            classes[code_info(code).klass] += times
        except UnknownCode:
            continue
    return {name: sum(classes[k] for k in kinds) for name, kinds in _TOTAL_CLASSES.items()}


def totals_disagreement(stated: Mapping[str, str], codes: Iterable[str]) -> list[str]:
    """Where the file's stated totals differ from what its marks add up to, one phrase each."""
    counted = count_totals(codes)
    found: list[str] = []
    for name, value in stated.items():
        if name not in counted or not value:
            continue
        if not value.isdigit():
            found.append(f"{name} is {value!r}, not a number")
        elif int(value) != counted[name]:
            found.append(f"{name} says {int(value)}, the marks give {counted[name]}")
    return found
