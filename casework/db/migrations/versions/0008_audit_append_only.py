"""audit rows append-only on PostgreSQL; messages.handed_at

Audit entries are never updated or deleted by the app (docs/decisions/0005): on PostgreSQL a
trigger now refuses UPDATE, DELETE and TRUNCATE of `audit_entries`, so a bug or a stolen app
login cannot rewrite the trail in place (an owner can still drop the trigger; the external
anchor in docs/decisions/0007 catches that). SQLite has no roles to protect against, so only
the anchor guards it there.

`messages.handed_at` records when the current attempt was handed to the provider, so recovery
after a crash can queue again an email that never reached the relay.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FUNCTION = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_ROW_TRIGGER = """
CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
"""
_TRUNCATE_TRIGGER = """
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)
        op.execute(_ROW_TRIGGER)
        op.execute(_TRUNCATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("handed_at")
