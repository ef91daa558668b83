"""Two imports of one marks file at once on PostgreSQL: each has checked the file before either
writes, so each takes every version for new. The second's COPY straight into `marks` then
meets the first's versions, is undone to its savepoint and written through the staging table,
which keeps what is already stored: every version once, and neither import fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.db.database import open_database
from casework.db.migrate import upgrade
from casework.seed import write_synthetic_la
from casework.service.importing import mark_store
from casework.service.importing.files import ImportResult, import_file
from casework.settings import LONDON, Settings
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.integration.orchestration_data import import_all_but_marks

pytestmark = pytest.mark.postgres
NOW = datetime(2025, 9, 22, 7, 0, tzinfo=UTC)


MARKS = "SELECT upn, school_date, session, code, minutes_late, recorded_at FROM marks"


def _la_without_marks(url: str, csvs: Path, folder: Path) -> Engine:
    upgrade(url)
    engine = open_database(Settings(var_dir=folder / "var", database_url=url))
    import_all_but_marks(engine, csvs, folder)
    return engine


def _marks(engine: Engine) -> list[Any]:
    with Session(engine) as db:
        return sorted(tuple(row) for row in db.execute(sa.text(MARKS)))


@pytest.fixture
def reference_url() -> Iterator[str]:
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_two_imports_of_one_file_at_once_store_each_version_once(
    postgres_url: str, reference_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csvs = tmp_path / "csv"
    write_synthetic_la(
        csvs, schools=1, pupils=120, start=date(2025, 9, 3), end=date(2025, 9, 19), seed=5
    )
    reference = _la_without_marks(reference_url, csvs, tmp_path / "reference")
    alone = import_file(
        reference, "marks", csvs / "marks.csv", reports_dir=tmp_path, tz=LONDON, now=NOW
    )
    engine = _la_without_marks(postgres_url, csvs, tmp_path / "raced")

    both_checked = threading.Barrier(2, timeout=60)
    written = mark_store._copy_then_insert

    def once_both_have_checked(session: Session, part: list[tuple[Any, ...]]) -> None:
        both_checked.wait()
        written(session, part)

    monkeypatch.setattr(mark_store, "_copy_then_insert", once_both_have_checked)

    def import_marks(_: int) -> ImportResult:
        return import_file(
            engine, "marks", csvs / "marks.csv", reports_dir=tmp_path, tz=LONDON, now=NOW
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results: Sequence[ImportResult] = list(pool.map(import_marks, range(2)))

    assert [r.errors for r in results] == [[], []]
    # Each checked before the other wrote: each took every version for new.
    assert [r.accepted for r in results] == [alone.accepted, alone.accepted]
    stored = _marks(engine)
    assert len(stored) == alone.accepted
    assert stored == _marks(reference)
