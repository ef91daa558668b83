"""The audit chain's pure core: canonical JSON, hashing, verification and the detail vocabulary."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest

from casework.core.audit import (
    EXPORT_FIELDS,
    GENESIS_HASH,
    REQUIRED_DETAIL,
    AuditDraft,
    AuditKind,
    ChainBreak,
    canonical_bytes,
    entry_hash,
    export_record,
    json_safe,
    missing_detail_keys,
    record_hash,
    seal,
    verify_chain,
)
from tests.conftest import SHARED

AT = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


def make_draft(**overrides: Any) -> AuditDraft:
    values: dict[str, Any] = {
        "kind": AuditKind.TASK_CREATED,
        "actor": "system",
        "school_date": date(2025, 1, 15),
        "urn": "100001",
        "upn": "A123456789012",
        "case_id": 7,
        "stage": "home_visit",
        "detail": {"task_kind": "home_visit", "task_id": 3, "due_date": date(2025, 1, 15)},
    }
    values.update(overrides)
    return AuditDraft(**values)


def make_chain(n: int) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        record = seal(seq, AT + timedelta(seconds=seq), make_draft(case_id=seq), prev)
        chain.append(record)
        prev = record["hash"]
    return chain


class TestCanonicalForm:
    def test_canonical_bytes_are_sorted_compact_json_when_encoded(self) -> None:
        """The hashed bytes are JSON with sorted keys and no whitespace, without the hash itself."""
        raw = canonical_bytes(1, AT, make_draft(), GENESIS_HASH)
        parsed = json.loads(raw)
        assert list(parsed) == sorted(parsed)
        assert set(parsed) == set(EXPORT_FIELDS) - {"hash"}
        assert raw == json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()

    def test_entry_hash_is_sha256_of_canonical_bytes_when_computed(self) -> None:
        """The hash is the hex SHA-256 of the canonical bytes, and seal() agrees with it."""
        draft = make_draft()
        expected = hashlib.sha256(canonical_bytes(4, AT, draft, "a" * 64)).hexdigest()
        assert entry_hash(4, AT, draft, "a" * 64) == expected
        assert seal(4, AT, draft, "a" * 64)["hash"] == expected

    def test_at_is_normalised_to_utc_with_microseconds_when_given_another_offset(self) -> None:
        """The same instant in any offset hashes the same, always written with microseconds."""
        bst = AT.astimezone(timezone(timedelta(hours=1)))
        assert entry_hash(1, bst, make_draft(), GENESIS_HASH) == entry_hash(
            1, AT, make_draft(), GENESIS_HASH
        )
        assert json.loads(canonical_bytes(1, bst, make_draft(), GENESIS_HASH))["at"] == (
            "2025-01-15T09:30:00.000000+00:00"
        )

    def test_naive_at_is_refused_when_hashing(self) -> None:
        """An audit time without a timezone cannot be placed on the chain."""
        with pytest.raises(ValueError, match="timezone-aware"):
            entry_hash(1, datetime(2025, 1, 15, 9, 30), make_draft(), GENESIS_HASH)  # noqa: DTZ001

    def test_detail_is_plain_json_when_it_holds_dates_enums_and_tuples(self) -> None:
        """Dates become ISO strings, enums their values, tuples lists, integral floats ints."""

        class Colour(StrEnum):
            RED = "red"

        detail = {"due": date(2025, 1, 2), "c": Colour.RED, "t": (1, 2), "f": 2.0, "g": 0.5}
        assert json_safe(detail) == {"c": "red", "due": "2025-01-02", "f": 2, "g": 0.5, "t": [1, 2]}

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), object(), {1, 2}])
    def test_detail_is_refused_when_not_json_data(self, bad: object) -> None:
        """Values JSON cannot carry faithfully are refused rather than silently mangled."""
        with pytest.raises((TypeError, ValueError)):
            canonical_bytes(1, AT, make_draft(detail={"x": bad}), GENESIS_HASH)

    @pytest.mark.parametrize(
        "change",
        [
            {"actor": "someone@la.example"},
            {"kind": AuditKind.TASK_COMPLETED},
            {"school_date": date(2025, 1, 16)},
            {"urn": "100002"},
            {"upn": "B123456789012"},
            {"case_id": 8},
            {"stage": None},
            {"detail": {"task_kind": "home_visit", "task_id": 4}},
        ],
    )
    def test_hash_changes_when_any_field_changes(self, change: dict[str, Any]) -> None:
        """Every field of the entry is covered by its hash."""
        assert entry_hash(1, AT, make_draft(**change), GENESIS_HASH) != entry_hash(
            1, AT, make_draft(), GENESIS_HASH
        )

    def test_record_hash_recomputes_seal_when_read_back_from_json(self) -> None:
        """An entry exported as JSON text and parsed again re-hashes to its recorded hash."""
        record = seal(9, AT, make_draft(detail={"b": [1, {"z": 1, "a": "é"}], "a": None}), "f" * 64)
        parsed = json.loads(json.dumps(record))
        assert record_hash(parsed) == record["hash"]
        assert export_record(parsed) == record

    def test_export_record_normalises_row_values_when_given_python_types(self) -> None:
        """Row values (aware datetime, date, dict) become the DESIGN.md export object in order."""
        record = seal(1, AT, make_draft(), GENESIS_HASH)
        row = {**record, "at": AT.astimezone(timezone(timedelta(hours=-5))), "school_date": None}
        exported = export_record(row)
        assert list(exported) == list(EXPORT_FIELDS)
        assert exported["at"] == "2025-01-15T09:30:00.000000+00:00"
        assert exported["school_date"] is None


class TestVerifyChain:
    def test_intact_chain_verifies_when_untouched(self) -> None:
        """A chain built by seal() verifies, and an empty chain verifies trivially."""
        assert verify_chain(make_chain(5)) is None
        assert verify_chain([]) is None

    def test_edited_entry_is_reported_at_its_seq_when_detail_changes(self) -> None:
        """Changing an entry's content breaks its own hash."""
        chain = make_chain(5)
        chain[2] = {**chain[2], "detail": {**chain[2]["detail"], "task_id": 99}}
        assert verify_chain(chain) == ChainBreak(
            3, "hash does not match the entry's contents (entry altered)"
        )

    def test_rehashed_edit_is_reported_at_the_next_seq_when_the_forger_knows_the_rule(self) -> None:
        """Re-sealing an edited entry still breaks the link from the entry after it."""
        chain = make_chain(5)
        forged = seal(3, AT, make_draft(actor="forger"), chain[1]["hash"])
        chain[2] = forged
        broken = verify_chain(chain)
        assert broken is not None
        assert broken.seq == 4
        assert "prev_hash" in broken.reason

    def test_deleted_entry_is_reported_at_its_seq_when_missing(self) -> None:
        """A gap in seq is a deletion, named by the missing seq."""
        chain = make_chain(5)
        del chain[1]
        broken = verify_chain(chain)
        assert broken is not None
        assert broken.seq == 2
        assert "missing" in broken.reason

    def test_deleted_first_entry_is_reported_at_seq_one_when_missing(self) -> None:
        """The chain must start at seq 1."""
        broken = verify_chain(make_chain(3)[1:])
        assert broken is not None
        assert broken.seq == 1

    def test_swapped_entries_are_reported_at_the_first_when_their_seqs_swap(self) -> None:
        """Two entries exchanging seqs break at the lower seq."""
        chain = make_chain(5)
        chain[1], chain[2] = {**chain[2], "seq": 2}, {**chain[1], "seq": 3}
        broken = verify_chain(chain)
        assert broken is not None
        assert broken.seq == 2

    def test_reordered_entries_are_reported_when_seq_goes_backwards(self) -> None:
        """Entries out of seq order are reported at the seq that was due."""
        chain = make_chain(4)
        chain[1], chain[2] = chain[2], chain[1]
        broken = verify_chain(chain)
        assert broken is not None
        assert broken.seq == 2

    def test_forged_entry_is_reported_when_appended_with_an_invented_hash(self) -> None:
        """An appended entry whose hash was not computed from its contents fails."""
        chain = make_chain(3)
        forged = {**seal(4, AT, make_draft(), chain[-1]["hash"]), "hash": "e" * 64}
        broken = verify_chain([*chain, forged])
        assert broken is not None
        assert broken.seq == 4

    def test_inserted_entry_is_reported_when_it_duplicates_a_seq(self) -> None:
        """An entry slipped in between two others repeats a seq and is caught there."""
        chain = make_chain(4)
        intruder = seal(2, AT, make_draft(actor="forger"), chain[0]["hash"])
        broken = verify_chain([chain[0], chain[1], intruder, *chain[2:]])
        assert broken is not None
        assert broken.seq == 3

    def test_unreadable_entry_is_reported_when_its_time_is_naive(self) -> None:
        """An entry whose `at` lost its offset cannot be verified and is reported, not raised."""
        chain = make_chain(2)
        chain[1] = {**chain[1], "at": "2025-01-15T09:30:00"}
        broken = verify_chain(chain)
        assert broken is not None
        assert broken.seq == 2

    def test_verify_streams_when_given_a_generator(self) -> None:
        """verify_chain consumes an iterator and stops at the first break."""
        chain = make_chain(6)
        chain[3] = {**chain[3], "actor": "x"}
        consumed: list[int] = []

        def entries() -> Any:
            for record in chain:
                consumed.append(record["seq"])
                yield record

        assert verify_chain(entries()) is not None
        assert consumed == [1, 2, 3, 4]


class TestVocabulary:
    def test_every_design_kind_is_an_audit_kind_when_listed_in_design(self) -> None:
        """Each kind DESIGN.md's audit export section names is a value of AuditKind."""
        design = (SHARED / "DESIGN.md").read_text(encoding="utf-8")
        section = design.split("### Audit export", 1)[1].split("`detail` always carries", 1)[0]
        named = set(re.findall(r"`([a-z]+\.[a-z]+)`", section))
        assert len(named) >= 21
        assert named <= {kind.value for kind in AuditKind}

    def test_required_detail_covers_every_kind_when_looked_up(self) -> None:
        """REQUIRED_DETAIL has an entry for every kind, empty where DESIGN.md asks nothing."""
        assert set(REQUIRED_DETAIL) == set(AuditKind)
        assert REQUIRED_DETAIL[AuditKind.STAGE_ENTERED] == frozenset()
        assert REQUIRED_DETAIL[AuditKind.DATA_ALERT] == {"reason", "session"}
        assert REQUIRED_DETAIL[AuditKind.DECISION_REQUESTED] == {"decision_id"}
        assert REQUIRED_DETAIL[AuditKind.DECISION_APPROVED] == {"decision_id", "reason"}
        assert "reduced_amount_pence" not in REQUIRED_DETAIL[AuditKind.NOTICE_ISSUED]

    @pytest.mark.parametrize(
        ("kind", "detail", "missing"),
        [
            (AuditKind.TASK_CREATED, {"task_kind": "x", "task_id": 1}, {"due_date", "owner_role"}),
            (
                AuditKind.TASK_COMPLETED,
                {"task_kind": "x", "task_id": 1, "due_date": "d", "owner_role": "r"},
                {"outcome"},
            ),
            (
                AuditKind.MESSAGE_QUEUED,
                {"channel": "sms", "template": "t", "recipient_role": "parent", "message_id": 1},
                {"contact_id"},
            ),
            (
                AuditKind.MESSAGE_SENT,
                {"channel": "email", "template": "t", "recipient_role": "school", "message_id": 1},
                set(),
            ),
            (
                AuditKind.NOTICE_PAID,
                {"notice_id": 1, "contact_id": "c", "sequence": 1, "amount_pence": 8000},
                {"pay_by_date"},
            ),
            (AuditKind.CASE_VIEWED, {}, set()),
        ],
    )
    def test_missing_detail_keys_names_the_gaps_when_detail_is_incomplete(
        self, kind: AuditKind, detail: dict[str, Any], missing: set[str]
    ) -> None:
        """missing_detail_keys reports exactly the DESIGN.md keys the detail lacks."""
        assert missing_detail_keys(kind, detail) == missing
