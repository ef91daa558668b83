"""leave_applications: a parent's application for leave of absence (DOMAIN rule 32)

The school office records the application (dates, reason, applicant); the headteacher decides
it through a `leave_of_absence` decision, whose id the row keeps.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leave_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("upn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("urn", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "applicant_contact_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True
        ),
        sa.Column("recorded_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("in_advance", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("leave_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_leave_applications_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_leave_applications_upn"), ["upn"], unique=False)
        batch_op.create_index(batch_op.f("ix_leave_applications_urn"), ["urn"], unique=False)


def downgrade() -> None:
    op.drop_table("leave_applications")
