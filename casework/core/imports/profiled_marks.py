"""A school's marks export read through a mapping profile into `marks.csv` rows.

Each row keeps its line number in the school's file. A row the profile cannot translate (a
display code it does not map, a date not in its format, a session label it does not know) is
refused here with the reason, naming the value; every other row goes on to the marks
validator exactly as a `marks.csv` row would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from casework.core.imports import marks
from casework.core.imports.mark_profiles import MarksProfile
from casework.core.imports.rows import CsvTable, Raw, RowError, RowProblem, header_problem


@dataclass(slots=True)
class Translated:
    """The export as `marks.csv` rows, and the rows the profile could not translate."""

    table: CsvTable
    errors: list[RowError] = field(default_factory=list)


def translate(export: CsvTable, profile: MarksProfile) -> Translated | str:
    """The export's rows in `marks.COLUMNS` order, or why the file cannot be read at all."""
    needed = [name for field, name in profile.columns.items() if field in marks.COLUMNS]
    problem = header_problem(export.header, needed)
    if problem is not None:
        return f"{problem} (profile {profile.name})"
    found = Translated(CsvTable(marks.COLUMNS, []))
    rows = _long_rows if profile.layout == "long" else _wide_rows
    for row_no, fields in export.rows:
        raw = export.raw(fields)
        for result in rows(raw, export.header, profile):
            if isinstance(result, RowError):
                found.errors.append(RowError(row_no, result.reason, result.raw))
            else:
                found.table.rows.append((row_no, result))
    return found


def _value(raw: Raw, profile: MarksProfile, field: str) -> str:
    column = profile.columns.get(field)
    if column is None:
        return profile.urn or "" if field == "urn" else ""
    return raw.get(column, "")


def _date(text: str, profile: MarksProfile) -> str:
    try:
        return datetime.strptime(text.strip(), profile.date_format).date().isoformat()  # noqa: DTZ007
    except ValueError:
        raise RowProblem(
            f"date {text!r} does not match the profile's date format {profile.date_format}"
        ) from None


def _session(text: str, profile: MarksProfile) -> str:
    found = profile.sessions.get(text.strip().lower())
    if found is None:
        raise RowProblem(f"session {text!r} is not a session label the profile knows")
    return found


def _code(shown: str, profile: MarksProfile) -> str:
    """The statutory code for a display code; raises RowProblem naming an unmapped one."""
    found = profile.codes.get(shown, profile.codes.get(shown.strip()))
    if found is None:
        raise RowProblem(f"code {shown.strip()!r} is not mapped by profile {profile.name}")
    return found


def _recorded_at(text: str, profile: MarksProfile) -> str:
    # Local wall-clock time out, as marks.csv holds it; the validator reads it as Europe/London.
    if not text or profile.recorded_at_format is None:
        return text
    try:
        parsed = datetime.strptime(text.strip(), profile.recorded_at_format)  # noqa: DTZ007
    except ValueError:
        raise RowProblem(
            f"recorded_at {text!r} does not match the profile's format {profile.recorded_at_format}"
        ) from None
    return parsed.isoformat()


def _long_rows(raw: Raw, header: tuple[str, ...], profile: MarksProfile) -> Iterator[Row]:
    try:
        shown = _value(raw, profile, "code")
        if not shown.strip():
            raise RowProblem("code is blank: no mark to import")
        code = _code(shown, profile)
        if code == "":
            return  # mapped to "not a mark" (a closure, "no mark yet")
        yield [
            _value(raw, profile, "upn"),
            _value(raw, profile, "urn"),
            _date(_value(raw, profile, "date"), profile),
            _session(_value(raw, profile, "session"), profile),
            code,
            _value(raw, profile, "minutes_late"),
            _recorded_at(_value(raw, profile, "recorded_at"), profile),
        ]
    except RowProblem as exc:
        yield RowError(0, str(exc), raw)


Row = list[str] | RowError


def _wide_rows(raw: Raw, header: tuple[str, ...], profile: MarksProfile) -> Iterator[Row]:
    upn, urn = _value(raw, profile, "upn"), _value(raw, profile, "urn")
    for column in header:
        cell = raw.get(column, "")
        if not cell.strip():
            continue  # a register cell not yet filled in is no mark
        try:
            slot = _wide_slot(column, profile)
            if slot is None:
                continue
            shown, minutes = _split_minutes(cell, profile)
            code = _code(shown, profile)
            if code:
                yield [upn, urn, *slot, code, minutes, ""]
        except RowProblem as exc:
            yield RowError(0, f"column {column!r}: {exc}", {"upn": upn, "urn": urn, column: cell})


def _wide_slot(column: str, profile: MarksProfile) -> tuple[str, str] | None:
    """(ISO date, AM|PM) for a session column; None for any other column."""
    assert profile.session_column is not None  # a wide profile always has one (checked on load)
    match = profile.session_column.fullmatch(column)
    if match is None:
        return None
    return _date(match["date"], profile), _session(match["session"], profile)


def _split_minutes(cell: str, profile: MarksProfile) -> tuple[str, str]:
    separator = profile.minutes_separator
    if separator and separator in cell:
        shown, _, minutes = cell.partition(separator)
        return shown.strip(), minutes.strip()
    return cell.strip(), ""
