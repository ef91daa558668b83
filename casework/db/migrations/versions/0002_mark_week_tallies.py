"""mark week tallies: per-pupil weekly counts kept from the marks, and the trigger that dirties them

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGER = """
CREATE TRIGGER marks_dirty_day AFTER INSERT ON marks
BEGIN
    INSERT OR IGNORE INTO mark_days_dirty (urn, school_date, upn)
    VALUES (NEW.urn, NEW.school_date, NEW.upn);
END
"""

# One statement-level trigger per INSERT: a 200,000-row COPY dirties its days in one query.
_POSTGRES_FUNCTION = """
CREATE FUNCTION marks_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mark_days_dirty (urn, school_date, upn)
    SELECT DISTINCT urn, school_date, upn FROM new_marks
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


def upgrade() -> None:
    op.create_table(
        "mark_weeks",
        sa.Column("urn", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("upn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("educational", sa.Integer(), nullable=False),
        sa.Column("authorised", sa.Integer(), nullable=False),
        sa.Column("unauthorised", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("illness_days", sa.Integer(), nullable=False),
        sa.Column("n_sessions", sa.Integer(), nullable=False),
        sa.Column("recorded_max", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("urn", "week_start", "upn"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "mark_days_dirty",
        sa.Column("urn", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("school_date", sa.Date(), nullable=False),
        sa.Column("upn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.PrimaryKeyConstraint("urn", "school_date", "upn"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_marks_urn_date_n",
        "marks",
        ["urn", "school_date"],
        sqlite_where=sa.text("code = 'N'"),
        postgresql_where=sa.text("code = 'N'"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)
    # Marks already stored: every one of their days is counted at the next sweep.
    op.execute(
        "INSERT INTO mark_days_dirty (urn, school_date, upn) "
        "SELECT DISTINCT urn, school_date, upn FROM marks"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS marks_dirty_day" + (
        " ON marks" if op.get_bind().dialect.name == "postgresql" else ""
    ))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS marks_dirty_days()")
    op.drop_index("ix_marks_urn_date_n", table_name="marks")
    op.drop_table("mark_days_dirty")
    op.drop_table("mark_weeks")
