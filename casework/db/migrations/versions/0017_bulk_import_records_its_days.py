"""marks_dirty_days (PostgreSQL): a transaction that recorded its own dirty days is skipped

The statement trigger of migration 0006 records the school days a statement's marks fall on.
The bulk mark import knows those days already (it records them itself on SQLite, where the
trigger is lifted for its transaction), and on PostgreSQL the trigger's INSERT ... SELECT
DISTINCT over the statement's rows cost 0.4 s of a day's 200,000-mark import. The function
now returns at once when the transaction has set `pathway.mark_days_recorded` to 'on'
(casework.service.importing.mark_store); every other writer of marks sets nothing and is
recorded by the trigger as before. SQLite is unchanged.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECORD = """
    INSERT INTO mark_days_dirty (urn, school_date)
    SELECT DISTINCT urn, school_date FROM new_marks
    ON CONFLICT DO NOTHING;
    RETURN NULL;"""

_SKIP = """
    IF current_setting('pathway.mark_days_recorded', true) = 'on' THEN
        RETURN NULL;  -- the bulk import records its days itself
    END IF;"""


def _function(body: str) -> str:
    return (
        "CREATE OR REPLACE FUNCTION marks_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN{body}\nEND\n$$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(_SKIP + _RECORD))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(_RECORD))
