"""`pathway retention apply [--dry-run]` (issue 19): periods per record type from the policy,
nothing under an open legal step touched, the audit chain still verifying afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from casework.core.policy import Policy
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import AuditAnchor, AuditEntry, Contact, Mark, Message, Pupil
from casework.service.audit.trail import verify
from casework.service.retention import apply_retention
from casework.service.users import add_user
from casework.settings import LONDON
from tests.integration.test_decisions import NOW, UPN, URN, approve, requested, seed, sweep

OLD = "K931400125017"  # left long ago: born 1990
LATER = date(2034, 1, 5)


def _old_pupil(engine: object) -> None:
    with unit_of_work(engine) as db:  # type: ignore[arg-type]
        db.add(
            Pupil(
                upn=OLD,
                urn=URN,
                forename="Old",
                surname="Leaver",
                date_of_birth=date(1990, 1, 1),
                year_group="11",
                sen_status="N",
            )
        )
        db.flush()
        db.add(
            Contact(
                contact_id=f"{OLD}-1",
                upn=OLD,
                name="A Parent",
                relationship="parent",
                parental_responsibility=True,
                priority=1,
                preferred_channel="letter",
            )
        )
        db.add(
            Mark(
                upn=OLD,
                urn=URN,
                school_date=date(2015, 3, 2),
                session="AM",
                code="/",
                original_code="/",
                recorded_at=datetime(2015, 3, 2, 9, tzinfo=UTC),
            )
        )
        db.add(
            Mark(
                upn=UPN,
                urn=URN,
                school_date=date(2015, 3, 2),
                session="AM",
                code="/",
                original_code="/",
                recorded_at=datetime(2015, 3, 2, 9, tzinfo=UTC),
            )
        )


def _count(engine: object, model: object, where: object) -> int:
    with Session(engine) as db:  # type: ignore[arg-type]
        return len(db.exec(select(model).where(where)).all())  # type: ignore[call-overload]


def test_dry_run_counts_then_apply_removes_all_but_the_open_legal_step(
    database_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL too, where the append-only trigger lets only the retention cut delete."""
    engine = get_engine(database_url)
    seed(engine)
    add_user(engine, "officer@la.example", "la_officer", None, "long password 1", NOW)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))  # Sam's notices now running
    _old_pupil(engine)
    args: dict[str, Any] = {"today": LATER, "now": NOW, "letters_dir": tmp_path, "tz": LONDON}

    dry = apply_retention(engine, Policy(), dry_run=True, **args)
    assert dry.counts["pupils"] == 1  # the leaver; Sam is under an open legal step
    assert dry.counts["marks"] == 1  # the leaver's 2015 mark; Sam's 2015 mark is protected
    assert dry.protected_pupils == 1
    assert _count(engine, Pupil, Pupil.upn == OLD) == 1  # a dry run removes nothing

    done = apply_retention(engine, Policy(), **args)
    assert done.counts["pupils"] == 1
    assert _count(engine, Pupil, Pupil.upn == OLD) == 0
    assert _count(engine, Contact, Contact.upn == OLD) == 0
    assert _count(engine, Mark, Mark.upn == OLD) == 0
    assert _count(engine, Mark, Mark.school_date == date(2015, 3, 2)) == 1  # Sam's, kept
    assert _count(engine, Message, Message.upn == UPN) > 0  # protected, whatever their age
    # The audit chain lost its oldest prefix (the account entry, before Sam's first entry),
    # is anchored, and still verifies.
    assert done.counts["audit"] == 1
    with Session(engine) as db:
        anchor = db.exec(select(AuditAnchor)).one()
        first = db.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).first()
        applied = db.exec(select(AuditEntry).where(AuditEntry.kind == "retention.applied")).one()
    assert first is not None
    assert (anchor.seq, first.seq, first.prev_hash) == (1, 2, anchor.hash)
    assert verify(engine) is None
    assert applied.upn is None
    assert OLD not in str(applied.detail)
    assert applied.detail["removed"]["pupils"] == 1


def test_cli_dry_run_prints_each_record_type(sqlite_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from casework.cli.app import app

    env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(app, ["retention", "apply", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[:7]] == [
        "marks",
        "messages",
        "letters",
        "tasks",
        "stages",
        "pupils",
        "audit",
    ]
    assert "would remove" in lines[0]
