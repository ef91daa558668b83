"""Audit use cases: read the trail, export it as JSONL or CSV, and verify the hash chain.

Both stream the log a page at a time, each page in its own short read transaction, so a chain of
millions of entries needs neither the memory to hold it nor a long lock on SQLite's single writer
slot. The chain is append-only, so paging by seq sees a consistent prefix. The PDF export, which
checks the chain before it lays anything out, is casework/service/audit/trail_pdf.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypedDict

from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.core import csv_cells
from casework.core.audit import EXPORT_FIELDS, ChainBreak, verify_chain
from casework.db.audit_anchor import Anchor, latest_by_seq
from casework.db.audit_checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from casework.db.audit_log import chain_start, read_records, stored_hash
from casework.service.audit.anchor_check import AnchorBreak, check_against_anchors


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PDF = "pdf"


class FilterKwargs(TypedDict):
    urn: str | None
    upn: str | None
    from_date: date | None
    to_date: date | None


@dataclass(frozen=True)
class TrailFilters:
    """Which entries an export holds: one school, one pupil, a span of school dates."""

    urn: str | None = None
    upn: str | None = None
    from_date: date | None = None
    to_date: date | None = None

    def as_kwargs(self) -> FilterKwargs:
        """The filters as the keyword arguments of the export functions."""
        return FilterKwargs(
            urn=self.urn, upn=self.upn, from_date=self.from_date, to_date=self.to_date
        )

    def describe(self) -> list[tuple[str, str]]:
        """The filters as (label, value) pairs, 'all' where unset."""
        return [
            ("School (URN)", self.urn or "all"),
            ("Pupil (UPN)", self.upn or "all"),
            ("From", self.from_date.isoformat() if self.from_date else "start of the trail"),
            ("To", self.to_date.isoformat() if self.to_date else "end of the trail"),
        ]


@dataclass(frozen=True)
class ChainReport:
    """How many entries were checked, and the first break if the chain did not verify."""

    entries: int
    broken: ChainBreak | None
    anchor_break: AnchorBreak | None = None  # the chain disagrees with its external anchor
    anchors: int = 0  # anchored heads compared
    since: Checkpoint | None = None  # checked only after this verified head; None: the whole chain
    # The last entry checked (seq, hash): where the next incremental check starts, not a finding.
    head: tuple[int, str] | None = field(default=None, compare=False)
    # The chain runs from the entry after this seq: 0, or the last retention cut (ADR 0010).
    start_seq: int = field(default=0, compare=False)

    @property
    def is_intact(self) -> bool:
        return self.broken is None and self.anchor_break is None

    @property
    def chain_entries(self) -> int:
        """How many entries the chain holds up to its head: all of them, when it is intact."""
        return 0 if self.head is None else self.head[0] - self.start_seq


def stream_records(
    engine: Engine,
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    after_seq: int = 0,
    through_seq: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every matching entry after `after_seq` (up to `through_seq`) in seq order as an export
    record, a page per transaction."""
    while True:
        with Session(engine) as session:
            page = read_records(
                session,
                after_seq=after_seq,
                through_seq=through_seq,
                urn=urn,
                upn=upn,
                from_date=from_date,
                to_date=to_date,
            )
        yield from page
        if not page:
            return
        after_seq = page[-1]["seq"]


def verify_report(
    engine: Engine, anchors: list[Anchor] | None = None, *, since: Checkpoint | None = None
) -> ChainReport:
    """Verify the chain, counting the entries read, then compare it with `anchors`.

    With `since` (a head verified before), only the entries after it are read, once that entry
    is confirmed to still carry the verified hash; without it, or when retention has since cut
    past it, the whole chain is read.
    """
    start = chain_start(engine)
    first = start[0]
    if since is not None and since.seq > start[0]:
        moved = _checkpoint_moved(engine, since)
        if moved is not None:
            return ChainReport(0, None, moved, since=since, start_seq=first)
        start = (since.seq, since.hash)
    else:
        since = None
    count, head = 0, start
    # Heads anchored before a retention cut name entries removed on purpose (ADR 0010).
    wanted = {s: a for s, a in latest_by_seq(anchors or []).items() if s > start[0]}
    seen: dict[int, str] = {}

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count, head
        for record in stream_records(engine, after_seq=start[0]):
            count += 1
            head = (record["seq"], record["hash"])
            if head[0] in wanted:
                seen[head[0]] = record["hash"]
            yield record

    broken = verify_chain(counted(), start)
    if broken is not None:
        return ChainReport(entries=count - 1, broken=broken, since=since, start_seq=first)
    anchor_break = check_against_anchors(head[0], seen, wanted)
    return ChainReport(count, None, anchor_break, len(wanted), since, head, first)


def _checkpoint_moved(engine: Engine, since: Checkpoint) -> AnchorBreak | None:
    """Why the verified head no longer stands, or None when it still carries its hash."""
    found = stored_hash(engine, since.seq)
    if found == since.hash:
        return None
    if found is None:
        reason = f"truncated: entry seq {since.seq}, verified intact at {since.at}, is gone"
    else:
        reason = (
            f"rewritten at or before seq {since.seq}: entry seq {since.seq} has hash "
            f"{found[:16]}… but it was verified at {since.at} with {since.hash[:16]}…"
        )
    return AnchorBreak(since.seq, reason)


def verify_and_checkpoint(
    engine: Engine, anchors: list[Anchor], checkpoint: Path, *, full: bool
) -> ChainReport:
    """Verify (the whole chain, or only after the last verified head) and, when the chain is
    intact, record its head as the next check's starting point."""
    report = verify_report(engine, anchors, since=None if full else read_checkpoint(checkpoint))
    if report.is_intact and report.head is not None and report.head[0] > 0:
        write_checkpoint(checkpoint, *report.head)
    return report


def verify(engine: Engine) -> ChainBreak | None:
    """The first break in the whole audit chain, or None when every entry verifies."""
    return verify_report(engine).broken


def _csv_row(record: dict[str, Any]) -> list[Any]:
    row = dict(record)
    row["detail"] = json.dumps(
        record["detail"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return ["" if row[key] is None else row[key] for key in EXPORT_FIELDS]


def _write_text(records: Iterator[dict[str, Any]], fmt: ExportFormat, out: IO[str]) -> int:
    count = 0
    writer = csv_cells.writer(out, lineterminator="\n") if fmt is ExportFormat.CSV else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    for record in records:
        if writer is not None:
            writer.writerow(_csv_row(record))
        else:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def export(
    engine: Engine,
    fmt: ExportFormat | str,
    out: IO[str],
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
) -> int:
    """Write the matching entries to `out` as JSONL or CSV; returns the count.

    Filtered exports keep each entry's real seq and hashes, so a gap in seq is visibly filtering.
    A PDF checks the chain first and is written by `trail_pdf.export_pdf`.
    """
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.PDF:
        raise ValueError("a PDF export checks the chain first: use trail_pdf.export_pdf")
    records = stream_records(engine, urn=urn, upn=upn, from_date=from_date, to_date=to_date)
    return _write_text(records, fmt, out)
