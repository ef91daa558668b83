"""Small counts of pupils are never published (issue 19): "Year 3 … 11.1 % (1)" showed one
persistently absent child inside a group large enough to show. Counts from 1 to the minimum
minus one are suppressed, with whatever would give them back from a shown total."""

from __future__ import annotations

import re

from casework.core.reports.documents import Document, governors_document
from casework.core.reports.figures import school_figures
from casework.core.reports.suppression import hidden_counts, hidden_in_row
from casework.core.reports.tables import Table
from tests.factories import make_calendar
from tests.unit.test_report_figures import WEEK, _data, _traits, _week

SHARE = re.compile(r"\((\d+)\)$")


def test_a_small_count_is_hidden_with_the_smallest_other_of_its_partition() -> None:
    counts = {"Year 3": 1, "Year 4": 7, "Year 5": 9, "Year 6": 0}
    hidden = hidden_counts(counts, dict.fromkeys(counts, "year"), 5)
    assert hidden == {"Year 3", "Year 4"}  # 1 alone is given back by the school's total
    assert hidden_counts({"a": 0, "b": 6}, {"a": "p", "b": "p"}, 5) == frozenset()
    assert hidden_in_row({"improved": 6, "unchanged": 2, "worse": 3}, 5) == {"unchanged", "worse"}


def _school() -> Document:
    """12 pupils: six in Year 3 (one persistently absent), six in Year 5 (two)."""
    present, absent = _week((10, "/")), _week((8, "/"), (2, "O"))
    pupils = {
        f"P{n}": (_traits(year_group="3" if n < 6 else "5"), absent if n in (0, 6, 7) else present)
        for n in range(12)
    }
    mine = school_figures(_data("100001", pupils, make_calendar()), WEEK)
    return governors_document(mine, mine.figures, WEEK, la_name="Test LA", min_cohort=5)


def _shares(doc: Document) -> list[tuple[str, str]]:
    return [
        (row.cells[0], cell)
        for section in doc.sections
        for part in section.parts
        if isinstance(part, Table)
        for row in part.rows
        for cell in row.cells[1:]
        if SHARE.search(cell)
    ]


def test_no_published_share_is_made_from_fewer_than_five_pupils() -> None:
    doc = _school()
    groups = next(p for p in doc.sections[1].parts if isinstance(p, Table))
    cells = {row.cells[0]: row.cells for row in groups.rows}
    assert cells["Year 3"][1] == "6"  # the group itself is large enough to show
    assert cells["Year 3"][6] == "suppressed"  # but its one persistently absent pupil is not
    assert cells["Year 5"][6] == "suppressed"
    small = [(label, cell) for label, cell in _shares(doc) if 0 < int(SHARE.search(cell)[1]) < 5]  # type: ignore[index]
    assert small == []
    assert "11.1% (1)" not in str(doc)
