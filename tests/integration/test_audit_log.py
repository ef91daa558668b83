"""The audit log on real SQLite and PostgreSQL: append, tampering, concurrency, export, CLI.

The PDF export is tests/integration/test_audit_pdf.py.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from casework.core.audit import (
    EXPORT_FIELDS,
    GENESIS_HASH,
    AuditDraft,
    AuditKind,
    ChainBreak,
    verify_chain,
)
from casework.db.audit_log import PAGE_SIZE, append_entries, iter_entries, read_records, to_export
from casework.db.session import unit_of_work
from casework.service.audit import trail as audit_service

AT = datetime(2025, 3, 10, 9, 45, 12, 345678, tzinfo=UTC)


def draft(n: int, **overrides: Any) -> AuditDraft:
    values: dict[str, Any] = {
        "kind": AuditKind.MESSAGE_QUEUED,
        "actor": "system",
        "school_date": date(2025, 3, 3) + timedelta(days=n % 5),
        "urn": "100001" if n % 2 else "100002",
        "upn": f"A{n % 3:012d}",
        "case_id": n,
        "stage": "first_day_call",
        "detail": {
            "channel": "sms",
            "template": "first_day_call/parent.sms.j2",
            "recipient_role": "parent",
            "contact_id": f"C{n}",
            "message_id": n,
            "due_date": date(2025, 3, 4),
            "nested": {"z": [1, 2.5, "é"], "a": None},
        },
    }
    values.update(overrides)
    return AuditDraft(**values)


def append(engine: Engine, count: int, start: int = 0, at: datetime = AT) -> None:
    with unit_of_work(engine) as session:
        append_entries(session, [draft(start + i) for i in range(count)], at)


def raw(engine: Engine, *statements: str) -> None:
    """Tamper as a database superuser would: past the append-only trigger (PostgreSQL)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in statements:
            conn.exec_driver_sql(statement)


def export_lines(engine: Engine, fmt: str = "jsonl", **filters: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    count = audit_service.export(engine, fmt, out, **filters)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == count
    return records


class TestAppend:
    def test_entries_chain_from_genesis_when_appended_in_several_transactions(
        self, engine: Engine
    ) -> None:
        """Seqs run 1..n across transactions, each prev_hash links, and the chain verifies."""
        append(engine, 3)
        append(engine, 4, start=3, at=AT + timedelta(minutes=1))
        with unit_of_work(engine) as session:
            entries = list(iter_entries(session))
        assert [entry.seq for entry in entries] == list(range(1, 8))
        assert entries[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
        assert verify_chain(to_export(entry) for entry in entries) is None
        assert audit_service.verify_report(engine) == audit_service.ChainReport(7, None)

    def test_returned_entries_match_stored_rows_when_read_back(self, engine: Engine) -> None:
        """What append returns is what was stored and hashed, detail dates as ISO strings."""
        with unit_of_work(engine) as session:
            returned = append_entries(session, [draft(1), draft(2)], AT)
        with unit_of_work(engine) as session:
            stored = read_records(session)
        assert [to_export(entry) for entry in returned] == stored
        assert stored[0]["detail"]["due_date"] == "2025-03-04"
        assert stored[0]["at"] == "2025-03-10T09:45:12.345678+00:00"

    def test_nothing_is_written_when_the_callers_transaction_rolls_back(
        self, engine: Engine
    ) -> None:
        """append_entries never commits: a failed use case leaves no audit entry behind."""

        def failing_use_case() -> None:
            with unit_of_work(engine) as session:
                append_entries(session, [draft(1)], AT)
                raise RuntimeError("the change being audited failed")

        with pytest.raises(RuntimeError):
            failing_use_case()
        append(engine, 1)
        with unit_of_work(engine) as session:
            assert [entry.seq for entry in iter_entries(session)] == [1]

    def test_empty_drafts_append_nothing_when_given(self, engine: Engine) -> None:
        """No drafts, no entries."""
        with unit_of_work(engine) as session:
            assert append_entries(session, [], AT) == []
        assert audit_service.verify_report(engine).entries == 0

    def test_thousands_of_drafts_page_through_export_and_verify_when_bulk_appended(
        self, engine: Engine
    ) -> None:
        """One call appends thousands; paged reads return every one in seq order."""
        total = PAGE_SIZE * 2 + 17
        append(engine, total)
        assert audit_service.verify_report(engine) == audit_service.ChainReport(total, None)
        seqs = [record["seq"] for record in audit_service.stream_records(engine)]
        assert seqs == list(range(1, total + 1))
        with unit_of_work(engine) as session:
            assert sum(1 for _ in iter_entries(session)) == total


class TestTamperDetection:
    @pytest.fixture
    def chained(self, engine: Engine) -> Engine:
        append(engine, 6)
        assert audit_service.verify(engine) is None
        return engine

    def test_edited_detail_is_reported_at_its_seq_when_changed_with_raw_sql(
        self, chained: Engine
    ) -> None:
        """A detail edited in the database breaks that entry's hash."""
        json_literal = '\'{"channel": "email"}\''
        raw(chained, f"UPDATE audit_entries SET detail = {json_literal} WHERE seq = 4")
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 4
        assert "altered" in broken.reason

    def test_edited_actor_is_reported_at_its_seq_when_changed_with_raw_sql(
        self, chained: Engine
    ) -> None:
        """Any column edit, not just detail, is caught."""
        raw(chained, "UPDATE audit_entries SET actor = 'someone.else@la.example' WHERE seq = 2")
        assert audit_service.verify(chained) == ChainBreak(
            2, "hash does not match the entry's contents (entry altered)"
        )

    def test_deleted_row_is_reported_at_its_seq_when_removed(self, chained: Engine) -> None:
        """A deleted entry leaves a gap that is named by its seq."""
        raw(chained, "DELETE FROM audit_entries WHERE seq = 3")
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 3
        assert "missing" in broken.reason

    def test_swapped_rows_are_reported_when_two_seqs_are_exchanged(self, chained: Engine) -> None:
        """Reordering two entries by swapping their seqs breaks the chain at the first."""
        raw(
            chained,
            "UPDATE audit_entries SET seq = -5 WHERE seq = 5",
            "UPDATE audit_entries SET seq = 5 WHERE seq = 2",
            "UPDATE audit_entries SET seq = 2 WHERE seq = -5",
        )
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 2

    def test_forged_row_is_reported_when_inserted_at_the_end(self, chained: Engine) -> None:
        """An appended row whose hash was not computed from its contents is caught at its seq."""
        with unit_of_work(chained) as session:
            last = read_records(session)[-1]
        raw(
            chained,
            "INSERT INTO audit_entries (seq, at, actor, kind, detail, prev_hash, hash) VALUES "
            f"(7, '2025-03-11 10:00:00', 'system', 'notice.paid', '{{}}', "
            f"'{last['hash']}', '{'d' * 64}')",
        )
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 7

    def test_forged_row_is_reported_when_inserted_past_a_gap(self, chained: Engine) -> None:
        """A row inserted with a seq beyond the end is reported as the seq it skipped."""
        raw(
            chained,
            "INSERT INTO audit_entries (seq, at, actor, kind, detail, prev_hash, hash) VALUES "
            f"(9, '2025-03-11 10:00:00', 'system', 'notice.paid', '{{}}', '{'a' * 64}', "
            f"'{'b' * 64}')",
        )
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 7

    def test_appending_after_tampering_keeps_the_break_visible_when_chain_continues(
        self, chained: Engine
    ) -> None:
        """New entries chain from the tampered head; the old break is still reported."""
        raw(chained, "UPDATE audit_entries SET upn = 'Z999' WHERE seq = 5")
        append(chained, 2, start=6)
        broken = audit_service.verify(chained)
        assert broken is not None
        assert broken.seq == 5


def test_concurrent_writers_produce_one_unbroken_chain_when_appending_at_once(
    engine: Engine,
) -> None:
    """Threads appending in overlapping transactions never fork the chain.

    PostgreSQL serialises writers with the advisory lock, SQLite with BEGIN IMMEDIATE.
    """
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            barrier.wait()
            for batch in range(15):
                with unit_of_work(engine) as session:
                    start = worker * 1000 + batch * 10
                    append_entries(session, [draft(start + i) for i in range(10)], AT)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert audit_service.verify_report(engine) == audit_service.ChainReport(600, None)
    case_ids = {record["case_id"] for record in audit_service.stream_records(engine)}
    assert len(case_ids) == 600


class TestExport:
    @pytest.fixture
    def trail(self, engine: Engine) -> Engine:
        append(engine, 20)
        # Undated entries are filed under the London day of `at`: 23:30 UTC in June is 00:30 BST.
        late = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
        with unit_of_work(engine) as session:
            append_entries(
                session,
                [AuditDraft(AuditKind.IMPORT_REJECTED, "cli", detail={"rows": 2})],
                late,
            )
        return engine

    def test_jsonl_lines_are_the_design_object_when_exported(self, trail: Engine) -> None:
        """Each line holds exactly DESIGN.md's keys, in order, and the lines verify as a chain."""
        records = export_lines(trail)
        assert len(records) == 21
        assert all(list(record) == list(EXPORT_FIELDS) for record in records)
        assert verify_chain(records) is None

    def test_filtered_export_keeps_real_seq_and_hashes_when_filtered_by_school(
        self, trail: Engine
    ) -> None:
        """A school's export is a subset of the full trail, entries unchanged, seq gaps visible."""
        full = {record["seq"]: record for record in export_lines(trail)}
        school = export_lines(trail, urn="100001")
        assert [r["seq"] for r in school] == [n + 1 for n in range(20) if n % 2]
        assert all(full[record["seq"]] == record for record in school)

    def test_upn_and_dates_filter_together_when_combined(self, trail: Engine) -> None:
        """--upn with --from/--to keeps that pupil's entries on those school dates."""
        got = export_lines(
            trail, upn="A000000000001", from_date=date(2025, 3, 4), to_date=date(2025, 3, 5)
        )
        expected = [
            n + 1 for n in range(20) if n % 3 == 1 and date(2025, 3, 3 + n % 5) in _mar(4, 5)
        ]
        assert [r["seq"] for r in got] == expected
        assert expected

    def test_undated_entry_files_under_its_london_day_when_filtered_by_date(
        self, trail: Engine
    ) -> None:
        """An entry without a school date belongs to the London calendar day of its `at`."""
        july = export_lines(trail, from_date=date(2025, 7, 1))
        june = export_lines(trail, from_date=date(2025, 6, 1), to_date=date(2025, 6, 30))
        assert [r["kind"] for r in july] == ["import.rejected"]
        assert june == []

    def test_csv_has_the_same_columns_when_exported(self, trail: Engine) -> None:
        """CSV carries the export columns with detail as compact JSON; values match the JSONL."""
        out = io.StringIO()
        assert audit_service.export(trail, "csv", out, urn="100002") == 10
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert list(rows[0]) == list(EXPORT_FIELDS)
        jsonl = export_lines(trail, urn="100002")
        assert [json.loads(row["detail"]) for row in rows] == [r["detail"] for r in jsonl]
        assert [row["hash"] for row in rows] == [r["hash"] for r in jsonl]
        assert ": " not in rows[0]["detail"]


def _mar(first: int, last: int) -> set[date]:
    return {date(2025, 3, day) for day in range(first, last + 1)}
