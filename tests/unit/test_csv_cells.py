"""Every CSV written for people neutralises formula-like cells (issue 19): the helper, and a
scan that no other module writes CSV around it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from casework.core.csv_cells import dict_writer, neutralise, writer

ROOT = Path(__file__).resolve().parents[2]
# The synthetic LA's input files are read back by our own importer, never opened as reports.
ALLOWED = {"casework/core/csv_cells.py", "casework/seed/__init__.py"}


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Home visit: child seen", "Home visit: child seen"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_neutralise(cell: object, written: object) -> None:
    assert neutralise(cell) == written


def test_writers_neutralise_values_but_not_the_header() -> None:
    out = io.StringIO()
    rows = dict_writer(out, fieldnames=["note", "amount"], lineterminator="\n")
    rows.writeheader()
    rows.writerow({"note": "=1+1", "amount": -80})
    plain = writer(out, lineterminator="\n")
    plain.writerow(["@x", "fine"])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["note", "amount"],
        ["'=1+1", "-80"],
        ["'@x", "fine"],
    ]


def test_no_module_writes_csv_except_through_the_helper() -> None:
    pattern = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("casework", "notifications", "flows")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
        and str(path.relative_to(ROOT)) not in ALLOWED
    ]
    assert offenders == []
