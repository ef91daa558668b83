"""The last verified head of the audit chain, so the next check reads only what came after it.

A full verification re-reads every entry; at millions of entries that is minutes, and `/audit`
would pay it on every page load. After each verification that finds the chain intact, its head
(seq, hash) is written here; an incremental check then confirms that entry still carries the
same hash (a rewrite re-hashed to the end would change it) and verifies only the entries after
it. An edit before the checkpoint that left the stored hashes alone shows only to a full
verification, which stays the default of `pathway audit verify` (docs/decisions/0011).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Checkpoint:
    """The chain ended at `seq` with `hash` when it was last verified intact, at `at`."""

    seq: int
    hash: str
    at: str

    @property
    def verified_at(self) -> datetime:
        return datetime.fromisoformat(self.at)


def checkpoint_path(anchor_path: Path) -> Path:
    """Kept beside the anchor file, outside the database like it."""
    return anchor_path.with_name("audit-verified.json")


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The recorded checkpoint, or None when there is none or it cannot be read."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint(int(record["seq"]), str(record["hash"]), str(record["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_checkpoint(path: Path, seq: int, hash_: str, at: datetime | None = None) -> Checkpoint:
    """Record a verified head; written to a temporary file and renamed, so never torn."""
    checkpoint = Checkpoint(seq, hash_, (at or datetime.now(UTC)).isoformat())
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"seq": seq, "hash": hash_, "at": checkpoint.at}, handle)
    os.replace(temporary, path)
    return checkpoint
