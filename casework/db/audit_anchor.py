"""The audit chain's anchor outside the database: its head (seq, hash) appended after each commit.

A hash chain alone cannot show that someone with write access cut off its tail or re-hashed it
from an edited entry onward (docs/decisions/0005). So every transaction that appends audit
entries — a sweep, a dispatch, a human write — appends the new head to a JSON-lines file outside
the database once it has committed (never before: an anchor must not name an entry that a
rollback removed). `pathway audit verify` then compares the chain with the anchors
(docs/decisions/0009).

The file is chosen per engine by `register_anchor` (the shell's `open_database` does it from
the settings); an engine with no anchor registered writes none.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from casework.db.tables import AuditEntry

log = logging.getLogger(__name__)
_HEAD_KEY = "pathway_audit_head"
_anchors: dict[str, Path] = {}


@dataclass(frozen=True)
class Anchor:
    """One anchored head: the chain had `seq` entries ending in `hash` at `at`."""

    seq: int
    hash: str
    at: str


def register_anchor(engine: Engine, path: Path | None) -> None:
    """Anchor every commit through `engine` that appends audit entries to `path` (None: off)."""
    key = engine.url.render_as_string(hide_password=False)
    if path is None:
        _anchors.pop(key, None)
    else:
        _anchors[key] = path


def anchor_path_for(engine: Engine) -> Path | None:
    return _anchors.get(engine.url.render_as_string(hide_password=False))


def note_head(session: OrmSession, seq: int, hash_: str) -> None:
    """Remember the head this transaction wrote; it is anchored if and when it commits."""
    session.info[_HEAD_KEY] = (seq, hash_)


def append_anchor(path: Path, seq: int, hash_: str) -> None:
    """Append one head to the anchor file, in one write (O_APPEND: writers never interleave)."""
    line = json.dumps({"seq": seq, "hash": hash_, "at": datetime.now(UTC).isoformat()}) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def anchor_head(engine: Engine) -> Anchor | None:
    """Anchor the chain's current head now (after a sweep whose workers had no anchor)."""
    path = anchor_path_for(engine)
    if path is None:
        return None
    table: sa.Table = AuditEntry.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        ).first()
    if row is None:
        return None
    append_anchor(path, int(row.seq), str(row.hash))
    return Anchor(int(row.seq), str(row.hash), datetime.now(UTC).isoformat())


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor in the file, in the order written; a torn last line is skipped."""
    if not path.exists():
        return []
    anchors = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record: dict[str, Any] = json.loads(line)
                anchors.append(Anchor(int(record["seq"]), str(record["hash"]), str(record["at"])))
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable anchor line skipped")
    return anchors


def latest_by_seq(anchors: Iterable[Anchor]) -> dict[int, Anchor]:
    """The last anchor written for each seq."""
    return {anchor.seq: anchor for anchor in anchors}


@event.listens_for(OrmSession, "after_commit")
def _anchor_after_commit(session: OrmSession) -> None:
    head = session.info.pop(_HEAD_KEY, None)
    if head is None:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    path = anchor_path_for(engine)
    if path is None:
        return
    try:
        append_anchor(path, *head)
    except OSError as exc:  # committed already: say so loudly, the next commit anchors again
        log.error("audit anchor not written: %s", type(exc).__name__)


@event.listens_for(OrmSession, "after_rollback")
def _forget_head(session: OrmSession) -> None:
    session.info.pop(_HEAD_KEY, None)
