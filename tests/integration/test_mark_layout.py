"""Where an import puts a school's marks on disk (SQLite): each school's day in one short stretch
of the index a sweep reads its window from, whatever order the file's rows came in.

A sweep reads one school's fortnight from `ix_marks_urn_date_slot`. Kept in one short stretch
of the file, a school's day is a few 128 KB extents for a cold cache to fetch; spread page by
page among the other schools', it is about as many extents as pages (docs/decisions/0012).
"""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime
from itertools import pairwise

import sqlalchemy as sa

from casework.core.imports.marks import MarkRecord
from casework.db.session import dispose_engines, get_engine, unit_of_work
from casework.service.importing.mark_store import insert_marks

SCHOOLS = [f"1{n:05d}" for n in range(40)]
PUPILS_A_SCHOOL = 100
DAY = date(2025, 9, 3)
# 128 KB of 4 KiB pages: a step to a leaf further than this from the one before leaves the
# stretch the school's day was written to.
NEAR_PAGES = 32


def _la_wide_file_in_upn_order() -> list[MarkRecord]:
    """One day's marks for every school of an LA, as a file sorted by UPN would hold them: a
    UPN leads with its check letter, so the schools' pupils come interleaved."""
    rng = random.Random(7)
    at = datetime(2025, 9, 3, 9, 30, tzinfo=UTC)
    records = [
        MarkRecord(upn, urn, DAY, session, "/", "/", None, at)
        for urn in SCHOOLS
        for upn in (
            rng.choice(string.ascii_uppercase) + f"{urn}{n:06d}" for n in range(PUPILS_A_SCHOOL)
        )
        for session in ("AM", "PM")
    ]
    return sorted(records, key=lambda record: record.upn)


def _leaf_steps(url: str) -> tuple[list[int], int]:
    """The window index's leaf pages in key order; how many steps between them are far."""
    engine = get_engine(url)
    with engine.connect() as conn:
        leaves = [
            pageno
            for (pageno,) in conn.exec_driver_sql(
                "SELECT pageno FROM dbstat WHERE name = 'ix_marks_urn_date_slot' "
                "AND pagetype = 'leaf' ORDER BY path"
            )
        ]
    far = sum(1 for a, b in pairwise(leaves) if not 0 < b - a <= NEAR_PAGES)
    return leaves, far


def test_each_schools_day_lies_in_one_stretch_of_the_window_index(sqlite_url: str) -> None:
    records = _la_wide_file_in_upn_order()
    with unit_of_work(get_engine(sqlite_url)) as db:
        insert_marks(db, records, None)
    leaves, far = _leaf_steps(sqlite_url)
    dispose_engines()
    assert len(leaves) > 3 * len(SCHOOLS)  # several leaves a school, or the test shows nothing
    # At most one far step between schools; none inside a school's day.
    assert far < len(SCHOOLS), f"{far} far steps over {len(leaves)} leaves"


def test_the_import_keeps_every_mark_whatever_the_order(sqlite_url: str) -> None:
    records = _la_wide_file_in_upn_order()
    with unit_of_work(get_engine(sqlite_url)) as db:
        insert_marks(db, records, None)
    with get_engine(sqlite_url).connect() as conn:
        stored = conn.execute(sa.text("SELECT urn, upn, session FROM marks")).all()
    dispose_engines()
    assert sorted(stored) == sorted((r.urn, r.upn, r.session) for r in records)
