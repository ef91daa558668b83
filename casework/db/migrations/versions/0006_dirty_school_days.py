"""mark_days_dirty: one row per school day, not per pupil and day

The trigger on `marks` ran an INSERT OR IGNORE into a table that gained a row for every pupil
marked each day: at 100,000 pupils that was a third of the cost of importing a day's marks.
A school day is what the sweep recounts anyway (every pupil of a school is marked each day), so
the trigger now records (school, day) and a sweep recounts the weeks of those days for every
pupil of the school.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_trigger(columns: str, values: str) -> str:
    return f"""
CREATE TRIGGER marks_dirty_day AFTER INSERT ON marks
BEGIN
    INSERT OR IGNORE INTO mark_days_dirty ({columns}) VALUES ({values});
END
"""


def _postgres_function(columns: str) -> str:
    # One statement-level trigger per INSERT: a 200,000-row COPY dirties its days in one query.
    return f"""
CREATE FUNCTION marks_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mark_days_dirty ({columns})
    SELECT DISTINCT {columns} FROM new_marks
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""


_POSTGRES_TRIGGER = """
CREATE TRIGGER marks_dirty_day AFTER INSERT ON marks
REFERENCING NEW TABLE AS new_marks
FOR EACH STATEMENT EXECUTE FUNCTION marks_dirty_days()
"""


def _rebuild(columns: list[str], source: str) -> None:
    """Replace the table and its trigger with ones keyed by `columns`, filled from `source`."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS marks_dirty_day ON marks")
        op.execute("DROP FUNCTION IF EXISTS marks_dirty_days()")
    else:
        op.execute("DROP TRIGGER IF EXISTS marks_dirty_day")
    types = {
        "urn": sqlmodel.sql.sqltypes.AutoString(length=8),
        "school_date": sa.Date(),
        "upn": sqlmodel.sql.sqltypes.AutoString(length=13),
    }
    op.create_table(
        "mark_days_dirty_new",
        *(sa.Column(name, types[name], nullable=False) for name in columns),
        sa.PrimaryKeyConstraint(*columns, name="mark_days_dirty_new_pkey"),
        sqlite_with_rowid=False,
    )
    listed = ", ".join(columns)
    op.execute(f"INSERT INTO mark_days_dirty_new ({listed}) SELECT DISTINCT {listed} FROM {source}")
    op.drop_table("mark_days_dirty")
    op.rename_table("mark_days_dirty_new", "mark_days_dirty")
    if postgres:
        op.execute(
            "ALTER TABLE mark_days_dirty RENAME CONSTRAINT mark_days_dirty_new_pkey"
            " TO mark_days_dirty_pkey"
        )
        op.execute(_postgres_function(listed))
        op.execute(_POSTGRES_TRIGGER)
    else:
        op.execute(_sqlite_trigger(listed, ", ".join(f"NEW.{name}" for name in columns)))


def upgrade() -> None:
    _rebuild(["urn", "school_date"], "mark_days_dirty")


def downgrade() -> None:
    # Every pupil marked on a dirty school day: what the per-pupil table would have held.
    _rebuild(
        ["urn", "school_date", "upn"],
        "marks WHERE EXISTS (SELECT 1 FROM mark_days_dirty d"
        " WHERE d.urn = marks.urn AND d.school_date = marks.school_date)",
    )
