"""The migrations build exactly the schema the models declare, on both databases: an index or
column added to one and not the other is found here, not in production."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import casework.db.tables  # noqa: F401  (the models register their tables)
from casework.db.migrate import VERSION_TABLE


def _kept_by_triggers(difference: tuple[object, ...], dialect: str) -> bool:
    """PostgreSQL's one deliberate difference: marks.batch_id's reference is kept by triggers
    (migration 0018); test_mark_provenance holds them to the foreign key's promises."""
    kind, constraint = difference[0], difference[1]
    return (
        dialect == "postgresql"
        and kind == "add_fk"
        and isinstance(constraint, sa.ForeignKeyConstraint)
        and constraint.table.name == "marks"
        and [c.name for c in constraint.columns] == ["batch_id"]
        and constraint.referred_table.name == "import_batches"
    )


def test_migrated_database_has_no_difference_from_the_models(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    dialect = engine.dialect.name
    assert [d for d in differences if not _kept_by_triggers(d, dialect)] == []


def test_the_sweep_window_reads_marks_from_the_index_alone(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT upn, school_date, session, code, minutes_late,"
            " max(recorded_at) FROM marks WHERE urn = '100001' AND school_date >= '2026-01-05'"
            " AND recorded_at <= '2026-01-20 09:30:00' GROUP BY upn, school_date, session"
        ).all()
    engine.dispose()
    assert any("COVERING INDEX ix_marks_urn_date_slot" in row[-1] for row in plan), plan
