"""Each mark names the import batch it came from, and the database keeps that reference: on
SQLite by its foreign key, on PostgreSQL by statement triggers (migration 0018). Both refuse
a mark naming no batch, and the deletion or renumbering of a batch that marks still name; the
bulk import's binary COPY stores exactly what SQLite stores."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.service.importing.store import MARKS
from tests.integration.test_import import NOW, UPN_A, UPN_B, load_all

INSERT_MARK = sa.text(
    "INSERT INTO marks (upn, urn, school_date, session, code, original_code, recorded_at,"
    " batch_id) VALUES ('C931400125001', '100001', :day, 'AM', '/', '/', :at, :batch)"
)


def _import_all(engine: Engine, folder: Path) -> int:
    """The test LA's five files; the marks file's batch id."""
    results = load_all(engine, folder)
    assert all(result.rejected == 0 for result in results.values())
    return results["marks"].batch_id or 0


def _new_batch(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.text(
                    "INSERT INTO import_batches (kind, filename, sha256, started_at, accepted,"
                    " rejected, unchanged) VALUES ('marks', 'extra.csv', '', :at, 0, 0, 0)"
                    " RETURNING id"
                ),
                {"at": NOW},
            ).scalar_one()
        )


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    """Every mark, read through the model's column types (each database's own conversions)."""
    c = MARKS.c
    columns = (c.upn, c.urn, c.school_date, c.session, c.code, c.original_code)
    query = sa.select(*columns, c.minutes_late, c.recorded_at).order_by(
        c.upn, c.school_date, c.session, c.recorded_at
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_the_import_stores_each_value_as_given(engine: Engine, tmp_path: Path) -> None:
    """Dates, sessions, codes, minutes late and times: a blank recorded_at is the register's
    close (09:15 and 13:45 London, BST), a given one is London time; both stored in UTC."""
    batch = _import_all(engine, tmp_path)

    close_am = datetime(2025, 9, 3, 8, 15, tzinfo=UTC)
    close_pm = datetime(2025, 9, 3, 12, 45, tzinfo=UTC)
    day = date(2025, 9, 3)
    assert _stored(engine) == [
        (UPN_A, "100001", day, "AM", "/", "/", None, close_am),
        (UPN_A, "100001", day, "PM", "\\", "\\", None, close_pm),
        (UPN_B, "100001", day, "AM", "N", "N", None, close_am),
        (UPN_B, "100001", day, "AM", "I", "I", None, datetime(2025, 9, 4, 9, 30, tzinfo=UTC)),
        (UPN_B, "100001", day, "PM", "L", "L", 7, close_pm),
    ]
    with engine.connect() as conn:
        named = conn.execute(sa.text("SELECT DISTINCT batch_id FROM marks")).scalars().all()
    assert named == [batch]


def test_a_mark_naming_no_batch_is_refused(engine: Engine, tmp_path: Path) -> None:
    batch = _import_all(engine, tmp_path)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(INSERT_MARK, {"day": date(2025, 9, 4), "at": NOW, "batch": batch + 100})
    with engine.begin() as conn:  # a real batch, or none, is taken
        conn.execute(INSERT_MARK, {"day": date(2025, 9, 4), "at": NOW, "batch": batch})
        conn.execute(INSERT_MARK, {"day": date(2025, 9, 5), "at": NOW, "batch": None})


def test_a_mark_moved_to_no_batch_is_refused(engine: Engine, tmp_path: Path) -> None:
    batch = _import_all(engine, tmp_path)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE marks SET batch_id = :b WHERE code = 'L'"), {"b": batch + 9})
    other = _new_batch(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE marks SET batch_id = :b WHERE code = 'L'"), {"b": other})


def test_a_batch_that_marks_name_is_neither_deleted_nor_renumbered(
    engine: Engine, tmp_path: Path
) -> None:
    batch = _import_all(engine, tmp_path)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM import_batches WHERE id = :b"), {"b": batch})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE import_batches SET id = 9999 WHERE id = :b"), {"b": batch})
    unnamed = _new_batch(engine)
    with engine.begin() as conn:  # a batch no mark names goes, and its other columns change
        conn.execute(sa.text("UPDATE import_batches SET accepted = 5 WHERE id = :b"), {"b": batch})
        conn.execute(sa.text("DELETE FROM import_batches WHERE id = :b"), {"b": unnamed})
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT count(*) FROM marks WHERE batch_id = :b"), {"b": batch})
        assert kept.scalar_one() == 5


def _copy_marks(postgres_url: str, rows: Sequence[tuple[object, ...]]) -> None:
    columns = "upn, urn, school_date, session, code, original_code, recorded_at, batch_id"
    with (
        psycopg.connect(postgres_url.replace("+psycopg", "")) as conn,
        conn.cursor() as cursor,
        cursor.copy(f"COPY marks ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _delete_batch(engine: Engine, batch: int, lock_timeout: str | None = None) -> None:
    with engine.begin() as conn:
        if lock_timeout is not None:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        conn.execute(sa.text("DELETE FROM import_batches WHERE id = :b"), {"b": batch})


@pytest.mark.postgres
def test_a_copy_naming_no_batch_is_refused(postgres_url: str, tmp_path: Path) -> None:
    """The bulk import's own path: a COPY of rows naming a missing batch fails whole."""
    engine = sa.create_engine(postgres_url)
    batch = _import_all(engine, tmp_path)
    rows = [
        (UPN_A, "100001", date(2025, 9, 8), "AM", "/", "/", NOW, batch),
        (UPN_A, "100001", date(2025, 9, 8), "PM", "/", "/", NOW, batch + 1),
    ]
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="names an import batch"):
        _copy_marks(postgres_url, rows)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marks")).scalar_one() == 5
    engine.dispose()


@pytest.mark.postgres
def test_a_batch_being_named_waits_for_the_naming_and_then_is_kept(
    postgres_url: str, tmp_path: Path
) -> None:
    """As the foreign key did, a statement naming a batch locks it: a deletion started while
    that transaction is open waits for it, and then is refused because its marks are there."""
    engine = sa.create_engine(postgres_url)
    _import_all(engine, tmp_path)
    batch = _new_batch(engine)
    naming = engine.connect()
    naming_tx = naming.begin()
    naming.execute(INSERT_MARK, {"day": date(2025, 9, 8), "at": NOW, "batch": batch})

    with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
        _delete_batch(engine, batch, lock_timeout="300ms")

    outcome: list[BaseException | None] = []

    def delete_when_free() -> None:
        try:
            _delete_batch(engine, batch)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=delete_when_free)
    waiter.start()
    waiter.join(timeout=0.5)
    assert waiter.is_alive(), "the deletion should wait for the transaction naming the batch"
    naming_tx.commit()
    naming.close()
    waiter.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], sa.exc.IntegrityError), outcome
    with engine.connect() as conn:
        held = conn.execute(
            sa.text("SELECT count(*) FROM import_batches WHERE id = :b"), {"b": batch}
        )
        assert held.scalar_one() == 1
    engine.dispose()
