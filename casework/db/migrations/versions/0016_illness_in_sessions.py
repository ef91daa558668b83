"""mark_weeks, mark_span_totals: illness counted in sessions, not days (DOMAIN rule 10)

Rule 10 counts illness in sessions: 15 days = 30 sessions coded I. The tallies counted school
days with any I session, so 15 mornings off ill with the afternoons present read as 15 days and
sent the sickness return at 7.5. The column becomes `illness_sessions`; every stored week and
span was counted the old way, so they are dropped and every school day with marks is marked
dirty: the next sweep of each school recounts its weeks (casework.db.weekly_tallies).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TALLIES = ("mark_weeks", "mark_span_totals")


def _recount_everything() -> None:
    """Drop every tally; the sweep recounts the weeks of the dirty days before it reads them."""
    for table in TALLIES:
        op.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants above
    op.execute("DELETE FROM mark_days_dirty")
    op.execute(
        "INSERT INTO mark_days_dirty (urn, school_date) SELECT DISTINCT urn, school_date FROM marks"
    )


def _rename(old: str, new: str) -> None:
    # Both PostgreSQL and SQLite (3.25+) rename a column in place; a batch copy of these
    # WITHOUT ROWID tables would have to restate their options for nothing.
    for table in TALLIES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")


def upgrade() -> None:
    _rename("illness_days", "illness_sessions")
    _recount_everything()


def downgrade() -> None:
    _rename("illness_sessions", "illness_days")
    _recount_everything()
