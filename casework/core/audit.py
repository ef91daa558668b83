"""The audit trail's pure core: entry shape, kind vocabulary, canonical JSON, hash chain, verify.

Every entry is hashed over its canonical JSON (sorted keys, no whitespace, UTF-8) including the
previous entry's hash, so editing, deleting, reordering or inserting an entry breaks the chain at
that entry. The canonical form is also the export form (DESIGN.md "Audit export"), so anyone
holding a JSONL export can recompute every hash with `json`, `hashlib` and the rule in
docs/decisions/0005-audit-hash-chain.md. Nothing here touches the database or the clock.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any


class AuditKind(StrEnum):
    """The fixed vocabulary of audit kinds: DESIGN.md's list plus a few of our own."""

    STAGE_ENTERED = "stage.entered"
    STAGE_CLOSED = "stage.closed"
    TASK_CREATED = "task.created"
    TASK_ACKNOWLEDGED = "task.acknowledged"
    TASK_COMPLETED = "task.completed"
    TASK_OVERDUE = "task.overdue"
    TASK_ASSIGNED = "task.assigned"
    DECISION_REQUESTED = "decision.requested"
    DECISION_APPROVED = "decision.approved"
    DECISION_DECLINED = "decision.declined"
    DECISION_CLOSED = "decision.closed"  # no longer needed (rule 25: the notice was paid)
    MESSAGE_QUEUED = "message.queued"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_RETRACTED = "message.retracted"
    MESSAGE_CANCELLED = "message.cancelled"
    LETTER_RENDERED = "letter.rendered"
    NOTICE_ISSUED = "notice.issued"
    NOTICE_PAID = "notice.paid"
    NOTICE_EXPIRED = "notice.expired"
    NOTICE_WITHDRAWN = "notice.withdrawn"
    INFORMATION_LAID = "court.information_laid"  # rule 37
    COURT_OUTCOME = "court.outcome"  # rule 37
    ESO_MADE = "eso.made"  # rule 38: the order, its end and the supervisor's directions
    ESO_REFUSED = "eso.refused"  # rule 38
    NOTICE_POSTED = "notice.posted"  # posted after its issue day: receipt and periods move
    REFERRAL_MADE = "referral.made"
    DATA_ALERT = "data.alert"
    IMPORT_REJECTED = "import.rejected"
    CASE_VIEWED = "case.viewed"
    SUPPORT_CONSIDERED = "support.considered"
    BUNDLE_CREATED = "bundle.created"
    # Accounts (issue 19): who changed whose access, never a password or its hash.
    USER_ADDED = "user.added"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (a kind name, not a secret)
    USER_ROLE_CHANGED = "user.role_changed"
    USER_SIGNED_OUT = "user.signed_out"
    LOGIN_LOCKOUT_CLEARED = "login.lockout_cleared"
    # Data protection (DOMAIN.md Part 2 §15).
    SAR_EXPORTED = "sar.exported"
    RETENTION_APPLIED = "retention.applied"


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An audit entry before the chain gives it a seq, a time and hashes."""

    kind: AuditKind
    actor: str
    school_date: date | None = None
    urn: str | None = None
    upn: str | None = None
    case_id: int | None = None
    stage: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the chain does not verify, and why."""

    seq: int
    reason: str


GENESIS_HASH = "0" * 64

EXPORT_FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "school_date",
    "urn",
    "upn",
    "case_id",
    "actor",
    "kind",
    "stage",
    "detail",
    "prev_hash",
    "hash",
)

# --- canonical form ------------------------------------------------------------------------------


def format_at(at: datetime) -> str:
    """`at` as the chain hashes and exports it: UTC, ISO 8601, always with microseconds."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def json_safe(value: Any) -> Any:
    """`value` as plain JSON data: dates and times to ISO strings, enums to their values.

    Mapping keys come out sorted, so SQLite (insertion order) and JSONB (its own order) give the
    same export bytes. Integral floats become ints because PostgreSQL's JSONB may hand `1e20`
    back as an int; so what is stored, what is hashed and what is read back are the same JSON.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {str(key): json_safe(value[key]) for key in sorted(value, key=str)}
    if kind is list or kind is tuple:
        return [json_safe(item) for item in value]
    return _json_scalar(value)


def _json_scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit detail cannot hold NaN or infinity")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        return format_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int):  # str and int subclasses that are not enums
        return str(value) if isinstance(value, str) else int(value)
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    raise TypeError(f"audit detail value of type {type(value).__name__} is not JSON data")


def _record(seq: int, at: datetime, draft: AuditDraft, prev_hash: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": format_at(at),
        "school_date": draft.school_date.isoformat() if draft.school_date else None,
        "urn": draft.urn,
        "upn": draft.upn,
        "case_id": draft.case_id,
        "actor": draft.actor,
        "kind": str(draft.kind),
        "stage": draft.stage,
        "detail": json_safe(draft.detail),
        "prev_hash": prev_hash,
    }


def _encode(record: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a record whose values are already plain JSON data (see json_safe)."""
    body = {key: record[key] for key in EXPORT_FIELDS if key != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def canonical_bytes(seq: int, at: datetime, draft: AuditDraft, prev_hash: str) -> bytes:
    """The bytes the hash covers: every export field but `hash`, sorted keys, no whitespace."""
    return _encode(_record(seq, at, draft, prev_hash))


def entry_hash(seq: int, at: datetime, draft: AuditDraft, prev_hash: str) -> str:
    """SHA-256 (hex) of the entry's canonical bytes."""
    return hashlib.sha256(canonical_bytes(seq, at, draft, prev_hash)).hexdigest()


def seal(seq: int, at: datetime, draft: AuditDraft, prev_hash: str) -> dict[str, Any]:
    """The complete export record of a new entry: canonical fields plus its `hash`."""
    record = _record(seq, at, draft, prev_hash)
    record["hash"] = hashlib.sha256(_encode(record)).hexdigest()
    return record


def export_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise a stored entry (row values: datetime, date, dict) to the export/JSONL shape."""
    record = {key: json_safe(entry[key]) for key in EXPORT_FIELDS}
    at = entry["at"]
    record["at"] = format_at(datetime.fromisoformat(at) if isinstance(at, str) else at)
    return record


def record_hash(entry: Mapping[str, Any]) -> str:
    """Recompute the hash of an export-shaped entry from its fields (ignores its `hash`)."""
    return hashlib.sha256(_encode(export_record({**entry, "hash": None}))).hexdigest()


# --- verification --------------------------------------------------------------------------------


def _check(entry: Mapping[str, Any], expected_seq: int, prev_hash: str) -> ChainBreak | None:
    seq = entry.get("seq")
    if not isinstance(seq, int) or seq < expected_seq:
        return ChainBreak(expected_seq, f"out of order: found seq {seq!r} where {expected_seq} due")
    if seq > expected_seq:
        return ChainBreak(expected_seq, f"entry missing: next entry found is seq {seq}")
    if entry.get("prev_hash") != prev_hash:
        return ChainBreak(seq, "prev_hash does not match the previous entry's hash")
    try:
        recomputed = record_hash(entry)
    except (KeyError, TypeError, ValueError) as exc:
        return ChainBreak(seq, f"entry cannot be read: {type(exc).__name__}")
    if recomputed != entry.get("hash"):
        return ChainBreak(seq, "hash does not match the entry's contents (entry altered)")
    return None


def verify_chain(
    entries: Iterable[Mapping[str, Any]], start: tuple[int, str] = (0, GENESIS_HASH)
) -> ChainBreak | None:
    """The first break in a whole chain given in seq order, or None if it verifies.

    Streams: holds one entry at a time, so it copes with any length. Seqs must run 1..n with no
    gap, each `prev_hash` must be the previous entry's `hash` (GENESIS_HASH for seq 1) and each
    `hash` must equal the recomputed hash of the entry's fields. `start` is the anchor after
    retention removed the oldest entries: the last removed seq and its hash (ADR 0010).
    """
    expected_seq, prev_hash = start[0] + 1, start[1]
    for entry in entries:
        broken = _check(entry, expected_seq, prev_hash)
        if broken is not None:
            return broken
        prev_hash = str(entry["hash"])
        expected_seq += 1
    return None


# --- what detail carries -------------------------------------------------------------------------

_MESSAGE = frozenset({"channel", "template", "recipient_role", "message_id"})
_TASK = frozenset({"task_kind", "task_id", "due_date", "owner_role"})
_NOTICE = frozenset({"notice_id", "contact_id", "sequence", "amount_pence", "pay_by_date"})


def _required(kind: AuditKind) -> frozenset[str]:
    family = kind.value.split(".", 1)[0]
    by_family = {"message": _MESSAGE, "task": _TASK, "notice": _NOTICE}
    required = by_family.get(family, frozenset())
    if kind is AuditKind.TASK_COMPLETED:
        required |= {"outcome"}
    if family == "decision":
        required = frozenset({"decision_id"})
    if kind in (AuditKind.DECISION_APPROVED, AuditKind.DECISION_DECLINED):
        required |= {"reason"}
    if kind is AuditKind.DATA_ALERT:
        required = frozenset({"reason", "session"})
    return required


REQUIRED_DETAIL: Mapping[AuditKind, frozenset[str]] = {kind: _required(kind) for kind in AuditKind}


def missing_detail_keys(kind: AuditKind, detail: Mapping[str, Any]) -> frozenset[str]:
    """Keys DESIGN.md says `detail` always carries for `kind` that this detail lacks.

    `message.*` entries to a parent also need `contact_id`.
    """
    required = REQUIRED_DETAIL[kind]
    if kind.value.startswith("message.") and detail.get("recipient_role") == "parent":
        required |= {"contact_id"}
    return frozenset(required - detail.keys())
