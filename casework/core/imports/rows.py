"""What every CSV kind shares: reading rows with their line numbers, the header check, the field
parsers, and the result of validating a file (rows to write, rows unchanged, rows rejected).

A parser raises `RowProblem(reason)`; the kind's validator turns it into a `RowError` carrying the
row number a person would count in a spreadsheet (header = 1) and the raw values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import Generic, TypeVar

from casework.core.imports.storable import (
    storable_raw,
    storable_text,
    text_is_storable,
    unstorable,
)

R = TypeVar("R")
E = TypeVar("E", bound=StrEnum)

Raw = dict[str, str]


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row: its line number in the file, why, and the values as read."""

    row_no: int
    reason: str
    raw: dict[str, str]


def quarantinable(error: RowError) -> RowError:
    """The same rejection with its reason and raw values safe to store (imports/storable.py)."""
    return RowError(error.row_no, storable_text(error.reason, 1000), storable_raw(error.raw))


class RowProblem(ValueError):
    """Raised by a field parser; the message is the reason shown to the person importing."""


@dataclass(slots=True)
class Validated(Generic[R]):
    """A validated file: records to write (new or changed), a count of unchanged rows, errors."""

    fresh: list[R] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


_EXTRA = "_extra_fields"


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A decoded CSV file: the header (trimmed, lower case) and its rows as (row number, fields)."""

    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]
    # Every field is known to be storable (imports/storable.py): found once for the whole text
    # of a file read line by line, so that a marks file need not be checked row by row.
    all_storable: bool = False

    @property
    def width(self) -> int:
        return len(self.header)

    def raw(self, fields: list[str]) -> Raw:
        """The row as column -> trimmed value; fields beyond the header are kept together."""
        raw = dict(zip(self.header, map(str.strip, fields), strict=False))
        if len(fields) > len(self.header):
            raw[_EXTRA] = ",".join(fields[len(self.header) :])
        return raw

    def positions(self, columns: Sequence[str]) -> list[int]:
        """Where each of `columns` is in the header (all must be there)."""
        return [self.header.index(name) for name in columns]


def read_table(text: str) -> CsvTable:
    """Split CSV text into header and rows; blank lines are skipped, row numbers kept."""
    lines = _plain_lines(text)
    if lines is None:
        return _table(_csv_records(text))
    records = ((row_no, line.split(",")) for row_no, line in enumerate(lines, start=1))
    return _table(records, text_is_storable(text, max(map(len, lines), default=0)))


def _plain_lines(text: str) -> list[str] | None:
    """The records of text that needs no CSV parser, one per line; None when it does.

    A marks file is hundreds of thousands of rows with no quotes, and the csv module's reader,
    driven a row at a time, took a fifth of its import. Without a quote, a record is a line
    and a field is what lies between commas, exactly as the csv module reads it, as long as
    the lines end in LF or CRLF alone (the csv module also ends a record at a lone CR) and no
    field is beyond its size limit (which the csv module refuses).
    """
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the newline that ends the last record
    if lines and max(map(len, lines)) > csv.field_size_limit():
        return None
    return lines


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on, by the csv module (records may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    started = 1
    for fields in reader:
        yield started, fields
        started = reader.line_num + 1


def _table(records: Iterable[tuple[int, list[str]]], all_storable: bool = False) -> CsvTable:
    header: tuple[str, ...] = ()
    rows: list[tuple[int, list[str]]] = []
    for row_no, fields in records:
        if not (fields and fields[0]) and not "".join(fields).strip():
            continue
        if not header:
            header = tuple(f.strip().lower() for f in fields)
            continue
        rows.append((row_no, fields))
    return CsvTable(header, rows, all_storable)


def header_problem(header: Sequence[str], required: Sequence[str]) -> str | None:
    """Why a header cannot be imported (missing required columns), or None."""
    if not header:
        return "the file is empty: a header row is required"
    missing = [name for name in required if name not in header]
    if missing:
        return f"header is missing required column(s): {', '.join(missing)}"
    return None


def shape_problem(fields: list[str], width: int) -> str | None:
    """Why a row's field count does not match the header, or None."""
    if len(fields) == width:
        return None
    if len(fields) > width:
        return f"row has {len(fields)} fields, more than the header's {width}"
    return f"row has {len(fields)} fields, the header has {width}"


def required(raw: Raw, name: str) -> str:
    value = raw.get(name, "")
    if not value:
        raise RowProblem(f"{name} is required")
    return value


def optional(raw: Raw, name: str) -> str | None:
    """The value, or None when blank or the column is absent."""
    return raw.get(name) or None


_BOOLEANS: Mapping[str, bool] = {"true": True, "false": False}


def parse_bool(raw: Raw, name: str, *, default: bool | None = None) -> bool:
    """`true` or `false` (any case); blank gives `default` when one is allowed."""
    value = raw.get(name, "")
    if not value and default is not None:
        return default
    found = _BOOLEANS.get(value.lower())
    if found is None:
        raise RowProblem(f"{name} must be true or false, not {value!r}")
    return found


def parse_date_text(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"{name} {value!r} is not a real date (YYYY-MM-DD)") from None


def parse_date(raw: Raw, name: str) -> date:
    value = required(raw, name)
    if len(value) != 10:
        # fromisoformat also takes compact forms like 20250903; the contract says YYYY-MM-DD.
        raise RowProblem(f"{name} {value!r} is not a real date (YYYY-MM-DD)")
    return parse_date_text(value, name)


def parse_time(raw: Raw, name: str) -> time:
    value = required(raw, name)
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"{name} {value!r} is not a time (HH:MM)") from None
    if parsed.tzinfo is not None:
        raise RowProblem(f"{name} {value!r} must be a local time without an offset")
    return parsed


def parse_choice(raw: Raw, name: str, choices: type[E]) -> E:
    value = raw.get(name, "")
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(m.value for m in choices)
        raise RowProblem(f"{name} must be one of {allowed}, not {value!r}") from None


def parse_int(raw: Raw, name: str, *, minimum: int) -> int:
    value = required(raw, name)
    try:
        number = int(value)
    except ValueError:
        raise RowProblem(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise RowProblem(f"{name} must be at least {minimum}, not {number}")
    return number


K = TypeVar("K", bound=Hashable)


def validate_keyed(
    table: CsvTable,
    parse: Callable[[Raw], R],
    key: Callable[[R], K],
    existing: Mapping[K, R],
) -> Validated[R]:
    """Parse each row; reject duplicates within the file; sort the rest into fresh/unchanged.

    A record equal to the stored one is unchanged; a new or different one is fresh (an insert or
    an update, both counted as accepted).
    """
    result: Validated[R] = Validated()
    seen: dict[K, int] = {}
    for row_no, raw, record in iter_parsed(table, parse, result.errors):
        first = seen.setdefault(key(record), row_no)
        if first != row_no:
            result.errors.append(RowError(row_no, f"duplicate of row {first}", raw))
        elif existing.get(key(record)) == record:
            result.unchanged += 1
        else:
            result.fresh.append(record)
    return result


def iter_parsed(
    table: CsvTable, parse: Callable[[Raw], R], errors: list[RowError]
) -> Iterator[tuple[int, Raw, R]]:
    """(row number, raw, record) for each row that parses; the others go to `errors`."""
    for row_no, fields in table.rows:
        raw = table.raw(fields)
        problem = shape_problem(fields, table.width) or unstorable(raw)
        if problem is None:
            try:
                record = parse(raw)
            except RowProblem as exc:
                problem = str(exc)
            else:
                yield row_no, raw, record
                continue
        errors.append(RowError(row_no, problem, raw))
