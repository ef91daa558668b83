"""messages: indexed by school and day, which every sweep of a school reads

Without it each school's sweep scanned the whole outbox: at 100,000 pupils, after a year's first
sweep had queued its letters and texts, that was half the time of the next sweep.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_urn_date", "messages", ["urn", "school_date"])


def downgrade() -> None:
    op.drop_index("ix_messages_urn_date", table_name="messages")
