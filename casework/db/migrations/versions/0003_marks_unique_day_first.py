"""marks: the unique key (pupil, day, session, version) indexed day first

A day's import for a whole LA touched one index page per pupil when the key led with the UPN
(38 M marks: 200,000 new rows dirtied ~100,000 pages); day first, they append.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "id, upn, urn, school_date, session, code, original_code, minutes_late, recorded_at, batch_id"
)

# SQLite cannot drop a table constraint: the table is rebuilt (rows copied in rowid order).
_SQLITE_REBUILD = [
    """
    CREATE TABLE marks_new (
        id INTEGER NOT NULL,
        upn VARCHAR(13) NOT NULL,
        urn VARCHAR(8) NOT NULL,
        school_date DATE NOT NULL,
        session VARCHAR(2) NOT NULL,
        code VARCHAR(3) NOT NULL,
        original_code VARCHAR(3) NOT NULL,
        minutes_late INTEGER,
        recorded_at DATETIME NOT NULL,
        batch_id INTEGER,
        PRIMARY KEY (id),
        FOREIGN KEY(batch_id) REFERENCES import_batches (id),
        CONSTRAINT uq_marks_day_slot_version UNIQUE (school_date, upn, session, recorded_at)
    )
    """,
    f"INSERT INTO marks_new ({_COLUMNS}) SELECT {_COLUMNS} FROM marks ORDER BY id",
    "DROP TABLE marks",
    "ALTER TABLE marks_new RENAME TO marks",
    "CREATE INDEX ix_marks_urn_date ON marks (urn, school_date)",
    "CREATE INDEX ix_marks_urn_date_n ON marks (urn, school_date) WHERE code = 'N'",
    """
    CREATE TRIGGER marks_dirty_day AFTER INSERT ON marks
    BEGIN
        INSERT OR IGNORE INTO mark_days_dirty (urn, school_date, upn)
        VALUES (NEW.urn, NEW.school_date, NEW.upn);
    END
    """,
]

_POSTGRES_OLD_UNIQUE = """
SELECT conname FROM pg_constraint
WHERE conrelid = 'marks'::regclass AND contype = 'u'
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for (name,) in bind.exec_driver_sql(_POSTGRES_OLD_UNIQUE).fetchall():
            op.execute(f'ALTER TABLE marks DROP CONSTRAINT "{name}"')
        op.execute(
            "ALTER TABLE marks ADD CONSTRAINT uq_marks_day_slot_version "
            "UNIQUE (school_date, upn, session, recorded_at)"
        )
        return
    for statement in _SQLITE_REBUILD:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("0003 is not reversible; restore from a backup")
