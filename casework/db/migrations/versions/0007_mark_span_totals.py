"""mark_span_totals: each pupil's weekly tallies summed over the span a sweep counts

A sweep counts the year behind its raw-mark window from the weekly tallies: at midsummer that
was summing some 35 rows per pupil, and finding every N mark of the year still unresolved,
every sweep, though the span changes once a week. The sums and the unresolved N slots
(`n_open`) are kept per school and span, written by the sweep's first (write) step (a new span
from the one before it plus the weeks between) and dropped when a week inside them is recounted.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "possible",
    "present",
    "educational",
    "authorised",
    "unauthorised",
    "late",
    "illness_days",
    "n_sessions",
)


def upgrade() -> None:
    op.create_table(
        "mark_span_totals",
        sa.Column("urn", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("first_week", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("upn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("recorded_max", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("n_open", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("urn", "first_week", "window_start", "upn"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("mark_span_totals")
