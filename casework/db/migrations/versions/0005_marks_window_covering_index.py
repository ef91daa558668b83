"""marks: the school-and-day index carries the columns a sweep's window reads

A sweep reads each school's last weeks of marks. Through an index of (urn, school_date) alone,
every row was a lookup in the table, where a school's marks for a day lie scattered among the
whole LA's (the table grows day by day, in key order): at 100,000 pupils that was a page read
per mark. The index now holds the slot, version and code, so the window is read from it alone.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = ["urn", "school_date", "upn", "session", "recorded_at", "code", "minutes_late"]


def upgrade() -> None:
    op.create_index("ix_marks_urn_date_slot", "marks", COVERED)
    op.drop_index("ix_marks_urn_date", table_name="marks")


def downgrade() -> None:
    op.create_index("ix_marks_urn_date", "marks", ["urn", "school_date"])
    op.drop_index("ix_marks_urn_date_slot", table_name="marks")
