"""marks.batch_id (PostgreSQL): the reference to import_batches checked once a statement

A mark names the import batch it came from: the provenance an officer or a court asks for. The
foreign key checked it row by row: PostgreSQL's check is a query and a row lock on the batch for
every one of a day's 200,000 marks, a sixth of the import (docs/decisions/0012). Every mark of
an import names the same batch, so the check is now made once per statement over the
statement's rows (its transition table): the batches they name are locked FOR KEY SHARE, as the
foreign key locked them, and a statement naming a batch that does not exist fails with
foreign_key_violation under the old constraint's name. A batch is refused deletion, or a new
id, while a mark names it, as the foreign key's NO ACTION refused it. SQLite keeps its foreign
key, whose check costs little there.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKS_NAME_BATCHES = """
CREATE FUNCTION marks_batch_known() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named integer[];
    held integer;
BEGIN
    SELECT array_agg(DISTINCT batch_id) INTO named FROM new_marks WHERE batch_id IS NOT NULL;
    IF named IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO held
    FROM (SELECT id FROM import_batches WHERE id = ANY (named) FOR KEY SHARE) AS locked;
    IF held < cardinality(named) THEN
        RAISE EXCEPTION 'a mark names an import batch that does not exist'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'marks_batch_id_fkey',
                  TABLE = 'marks',
                  DETAIL = format('Batches named: %s.', named);
    END IF;
    RETURN NULL;
END
$$
"""

_BATCH_NAMED_BY_MARKS = """
CREATE FUNCTION import_batch_unreferenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id)
       AND EXISTS (SELECT 1 FROM marks WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION 'import batch % is still named by marks', OLD.id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'marks_batch_id_fkey',
                  TABLE = 'import_batches',
                  DETAIL = 'A mark keeps the batch it came from: its provenance.';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$
"""

_TRIGGERS = [
    # A trigger with a transition table has one event, so INSERT and UPDATE have one each.
    """
    CREATE TRIGGER marks_batch_known_insert AFTER INSERT ON marks
    REFERENCING NEW TABLE AS new_marks
    FOR EACH STATEMENT EXECUTE FUNCTION marks_batch_known()
    """,
    """
    CREATE TRIGGER marks_batch_known_update AFTER UPDATE ON marks
    REFERENCING NEW TABLE AS new_marks
    FOR EACH STATEMENT EXECUTE FUNCTION marks_batch_known()
    """,
    """
    CREATE TRIGGER import_batch_unreferenced BEFORE DELETE OR UPDATE OF id ON import_batches
    FOR EACH ROW EXECUTE FUNCTION import_batch_unreferenced()
    """,
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE marks DROP CONSTRAINT marks_batch_id_fkey")
    op.execute(_MARKS_NAME_BATCHES)
    op.execute(_BATCH_NAMED_BY_MARKS)
    for trigger in _TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER import_batch_unreferenced ON import_batches")
    op.execute("DROP TRIGGER marks_batch_known_update ON marks")
    op.execute("DROP TRIGGER marks_batch_known_insert ON marks")
    op.execute("DROP FUNCTION import_batch_unreferenced()")
    op.execute("DROP FUNCTION marks_batch_known()")
    op.execute(
        "ALTER TABLE marks ADD CONSTRAINT marks_batch_id_fkey "
        "FOREIGN KEY (batch_id) REFERENCES import_batches (id)"
    )
