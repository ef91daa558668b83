"""The audit chain's external anchor, on real SQLite and PostgreSQL, and through `pathway`.

A tail cut off or a chain re-hashed from an edited entry verifies on its own; against the anchor
written after each commit it does not, and `pathway audit verify` names which it was. On
PostgreSQL the app cannot UPDATE, DELETE or TRUNCATE audit rows at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from casework.core.audit import record_hash
from casework.db.audit_anchor import read_anchors, register_anchor
from casework.db.audit_checkpoint import checkpoint_path, read_checkpoint
from casework.db.audit_log import append_entries
from casework.db.session import get_engine, unit_of_work
from casework.service.audit import trail as audit_service
from tests.integration.test_audit_log import AT, append, draft, raw

ENTRIES = 6


@pytest.fixture
def anchored(engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """Six entries, one transaction each, every head anchored to a file."""
    path = tmp_path / "anchor" / "audit-anchor.jsonl"
    register_anchor(engine, path)
    try:
        for n in range(ENTRIES):
            append(engine, 1, start=n)
        yield engine, path
    finally:
        register_anchor(engine, None)


def rewrite_and_rehash(engine: Engine, from_seq: int) -> None:
    """Edit entry `from_seq` and recompute every hash after it, as a careful forger would."""
    records = list(audit_service.stream_records(engine))
    prev_hash = records[from_seq - 2]["hash"] if from_seq > 1 else records[0]["prev_hash"]
    updates: list[dict[str, Any]] = []
    for record in records[from_seq - 1 :]:
        record = {**record, "prev_hash": prev_hash}
        if record["seq"] == from_seq:
            record["actor"] = "forger@la.example"
        record["hash"] = prev_hash = record_hash(record)
        updates.append(record)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for record in updates:
            conn.execute(
                sa.text(
                    "UPDATE audit_entries SET actor = :actor, prev_hash = :prev_hash, "
                    "hash = :hash WHERE seq = :seq"
                ),
                {k: record[k] for k in ("actor", "prev_hash", "hash", "seq")},
            )


def _append_then_fail(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        append_entries(session, [draft(99)], AT)
        raise RuntimeError("the use case failed after appending")


def _execute(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)


class TestAnchorFile:
    def test_each_commit_anchors_its_head_and_a_rollback_anchors_nothing(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        """One line per committed transaction, with the seq and hash it ended on."""
        engine, path = anchored
        with pytest.raises(RuntimeError):
            _append_then_fail(engine)
        anchors = read_anchors(path)
        assert [a.seq for a in anchors] == list(range(1, ENTRIES + 1))
        last = list(audit_service.stream_records(engine))[-1]
        assert anchors[-1].hash == last["hash"]

    def test_the_intact_chain_agrees_with_every_anchor(self, anchored: tuple[Engine, Path]) -> None:
        """No tampering: verified, with all six anchored heads compared."""
        engine, path = anchored
        report = audit_service.verify_report(engine, read_anchors(path))
        assert (report.is_intact, report.anchors) == (True, ENTRIES)

    def test_a_deleted_last_entry_is_named_a_truncation(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        """The chain alone still verifies; the anchor says where it used to end."""
        engine, path = anchored
        raw(engine, f"DELETE FROM audit_entries WHERE seq = {ENTRIES}")
        assert audit_service.verify(engine) is None
        report = audit_service.verify_report(engine, read_anchors(path))
        assert report.anchor_break is not None
        assert report.anchor_break.reason.startswith(
            f"truncated: the chain ends at seq {ENTRIES - 1} but the anchor of "
        )
        assert report.anchor_break.reason.endswith(f"recorded seq {ENTRIES}")

    def test_a_rewrite_rehashed_to_the_end_is_named_at_the_anchored_seq(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        """An edit at seq 3 with every later hash recomputed disagrees with the anchor at 3."""
        engine, path = anchored
        rewrite_and_rehash(engine, 3)
        assert audit_service.verify(engine) is None
        report = audit_service.verify_report(engine, read_anchors(path))
        assert report.anchor_break is not None
        assert report.anchor_break.seq == 3
        assert report.anchor_break.reason.startswith(
            "rewritten at or before seq 3: entry seq 3 has hash "
        )


@pytest.mark.postgres
def test_the_app_cannot_update_delete_or_truncate_audit_rows_on_postgres(
    postgres_url: str,
) -> None:
    """The append-only trigger refuses each, naming the operation; the rows stay."""
    engine = get_engine(postgres_url)
    append(engine, 2)
    for statement in (
        "UPDATE audit_entries SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 2",
        "TRUNCATE audit_entries",
    ):
        with pytest.raises(DBAPIError, match="audit entries are append-only"):
            _execute(engine, statement)
    assert audit_service.verify_report(engine).entries == 2


class TestVerifyCommand:
    def test_verify_exits_1_naming_a_truncation_then_a_rewrite(
        self, sqlite_url: str, tmp_path: Path
    ) -> None:
        """`pathway audit verify` after the last entry is deleted, then after a rewrite."""
        from casework.cli.app import app

        env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
        runner = CliRunner()
        runner.invoke(app, ["audit", "verify"], env=env)  # opens the database: anchor registered
        engine = get_engine(sqlite_url)
        try:
            for n in range(4):
                append(engine, 1, start=n)
            ok = runner.invoke(app, ["audit", "verify"], env=env)
            assert (ok.exit_code, ok.stdout) == (
                0,
                "audit chain OK: 4 entries, 4 anchored heads agree\n",
            )
            raw(engine, "DELETE FROM audit_entries WHERE seq = 4")
            cut = runner.invoke(app, ["audit", "verify"], env=env)
            assert cut.exit_code == 1
            assert "truncated: the chain ends at seq 3 but the anchor of " in cut.stdout
            append(engine, 1, start=10)  # the chain grows again past the cut: seq 4 is new
            rewrite_and_rehash(engine, 2)
            forged = runner.invoke(app, ["audit", "verify"], env=env)
            assert forged.exit_code == 1
            assert "rewritten at or before seq 2: entry seq 2 has hash " in forged.stdout
        finally:
            register_anchor(engine, None)


class TestIncrementalVerify:
    """After a verification finds the chain intact, the next reads only what came after it."""

    def test_only_the_entries_after_the_last_verified_head_are_read(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        engine, path = anchored
        checkpoint = checkpoint_path(path)
        first = audit_service.verify_and_checkpoint(
            engine, read_anchors(path), checkpoint, full=False
        )
        assert (first.is_intact, first.entries, first.since) == (True, ENTRIES, None)
        assert read_checkpoint(checkpoint) is not None
        append(engine, 2, start=50)
        later = audit_service.verify_and_checkpoint(
            engine, read_anchors(path), checkpoint, full=False
        )
        assert later.is_intact
        assert later.since is not None
        assert later.since.seq == ENTRIES
        assert later.entries == 2  # seq 7 and 8 only
        stored = read_checkpoint(checkpoint)
        assert stored is not None
        assert stored.seq == ENTRIES + 2

    def test_a_rewrite_rehashed_through_the_verified_head_is_named(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        engine, path = anchored
        checkpoint = checkpoint_path(path)
        audit_service.verify_and_checkpoint(engine, [], checkpoint, full=True)
        rewrite_and_rehash(engine, 2)
        report = audit_service.verify_and_checkpoint(engine, [], checkpoint, full=False)
        assert report.anchor_break is not None
        assert report.anchor_break.seq == ENTRIES
        assert report.anchor_break.reason.startswith(
            f"rewritten at or before seq {ENTRIES}: entry seq {ENTRIES} has hash "
        )
        assert read_checkpoint(checkpoint) == report.since  # a broken chain moves nothing on

    def test_an_edit_behind_the_head_shows_to_the_full_check_only(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        """The trade the incremental check makes, and why the full one stays the default."""
        engine, path = anchored
        checkpoint = checkpoint_path(path)
        audit_service.verify_and_checkpoint(engine, [], checkpoint, full=True)
        raw(engine, "UPDATE audit_entries SET actor = 'forger@la.example' WHERE seq = 3")
        assert audit_service.verify_and_checkpoint(engine, [], checkpoint, full=False).is_intact
        full = audit_service.verify_and_checkpoint(engine, [], checkpoint, full=True)
        assert full.broken is not None
        assert full.broken.seq == 3

    def test_a_cut_below_the_verified_head_is_named_a_truncation(
        self, anchored: tuple[Engine, Path]
    ) -> None:
        engine, path = anchored
        checkpoint = checkpoint_path(path)
        audit_service.verify_and_checkpoint(engine, [], checkpoint, full=True)
        raw(engine, f"DELETE FROM audit_entries WHERE seq >= {ENTRIES - 1}")
        report = audit_service.verify_and_checkpoint(engine, [], checkpoint, full=False)
        assert report.anchor_break is not None
        assert report.anchor_break.reason.startswith(f"truncated: entry seq {ENTRIES}, verified")

    def test_the_command_says_where_it_started(self, sqlite_url: str, tmp_path: Path) -> None:
        from casework.cli.app import app

        env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
        runner = CliRunner()
        runner.invoke(app, ["audit", "verify"], env=env)  # opens the database: anchor registered
        engine = get_engine(sqlite_url)
        try:
            append(engine, 3)
            full = runner.invoke(app, ["audit", "verify"], env=env)
            assert full.stdout == "audit chain OK: 3 entries, 1 anchored heads agree\n"
            append(engine, 1, start=3)
            quick = runner.invoke(app, ["audit", "verify", "--incremental"], env=env)
            assert quick.exit_code == 0
            assert quick.stdout.startswith("audit chain OK: 1 entries after seq 3 (verified intact")
            assert quick.stdout.endswith(", 1 anchored heads agree\n")
        finally:
            register_anchor(engine, None)
