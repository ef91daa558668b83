"""PostgreSQL: the retention cut may remove the oldest audit entries; nothing else may change them.

Revision ID: 0012
Revises: 0011

Migration 0008 refuses every UPDATE, DELETE and TRUNCATE of `audit_entries`. `pathway retention
apply` must still remove the part of the chain older than the policy's period, behind a
retention anchor (migration 0011, docs/decisions/0010). The function now lets a DELETE through
only inside a transaction that has said `SET LOCAL pathway.audit_retention_cut = 'on'`, which
only casework/service/retention.py does, after writing the anchor the kept entries verify from.
UPDATE and TRUNCATE stay refused for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITH_CUT = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('pathway.audit_retention_cut', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_WITHOUT_CUT = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_WITH_CUT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_WITHOUT_CUT)
