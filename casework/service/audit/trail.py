"""Audit use cases: export the trail (JSONL, CSV, PDF) and verify the whole hash chain.

Both stream the log a page at a time, each page in its own short read transaction, so a chain of
millions of entries needs neither the memory to hold it nor a long lock on SQLite's single writer
slot. The chain is append-only, so paging by seq sees a consistent prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.core import csv_cells
from casework.core.audit import EXPORT_FIELDS, ChainBreak, verify_chain
from casework.db.audit_anchor import Anchor, latest_by_seq
from casework.db.audit_checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from casework.db.audit_log import chain_start, read_records, stored_hash
from casework.service.audit.anchor_check import AnchorBreak, check_against_anchors
from casework.service.audit.pdf import TrailFilters, render_trail_pdf
from casework.service.progress import SILENT, Progress

PROGRESS_EVERY = 1_000  # entries read between two moves of a progress display


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PDF = "pdf"


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

    @property
    def is_intact(self) -> bool:
        return self.broken is None and self.anchor_break is None


def stream_records(
    engine: Engine,
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    after_seq: int = 0,
) -> Iterator[dict[str, Any]]:
    """Every matching entry after `after_seq` in seq order as an export record, a page per
    transaction."""
    while True:
        with Session(engine) as session:
            page = read_records(
                session,
                after_seq=after_seq,
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
    if since is not None and since.seq > start[0]:
        moved = _checkpoint_moved(engine, since)
        if moved is not None:
            return ChainReport(0, None, moved, since=since)
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
        return ChainReport(entries=count - 1, broken=broken, since=since)
    anchor_break = check_against_anchors(head[0], seen, wanted)
    return ChainReport(count, None, anchor_break, len(wanted), since, head)


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
    out: IO[Any],
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    now: datetime | None = None,
    progress: Progress = SILENT,
) -> int:
    """Write the matching entries to `out` (text for jsonl/csv, binary for pdf); returns the count.

    Filtered exports keep each entry's real seq and hashes, so a gap in seq is visibly filtering.
    A PDF of the whole trail can take minutes: `progress` hears each phase.
    """
    fmt = ExportFormat(fmt)
    records = stream_records(engine, urn=urn, upn=upn, from_date=from_date, to_date=to_date)
    if fmt is not ExportFormat.PDF:
        return _write_text(records, fmt, out)
    progress.phase("reading the audit trail")
    entries = _read_all(records, progress)
    filters = TrailFilters(urn=urn, upn=upn, from_date=from_date, to_date=to_date)
    progress.phase("verifying the whole audit chain")
    report = verify_report(engine)
    progress.phase(f"laying out {len(entries)} entries as a PDF (the longest part)")
    out.write(render_trail_pdf(entries, filters, _verification_line(report), now or _now()))
    return len(entries)


def _read_all(records: Iterator[dict[str, Any]], progress: Progress) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for record in records:
        entries.append(record)
        if len(entries) % PROGRESS_EVERY == 0:
            progress.advance(PROGRESS_EVERY)
    progress.advance(len(entries) % PROGRESS_EVERY)
    return entries


def export_pdf(
    engine: Engine,
    path: Path,
    *,
    urn: str | None = None,
    upn: str | None = None,
    from_date: date | None = None,
    to_date: date | None = None,
    now: datetime | None = None,
    progress: Progress = SILENT,
) -> Path:
    """Render the matching trail as a PDF at `path` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        export(
            engine,
            ExportFormat.PDF,
            out,
            urn=urn,
            upn=upn,
            from_date=from_date,
            to_date=to_date,
            now=now,
            progress=progress,
        )
    return path


def _verification_line(report: ChainReport) -> str:
    if report.broken is None:
        return f"Audit chain verified: all {report.entries} entries intact."
    return (
        f"AUDIT CHAIN BROKEN at seq {report.broken.seq}: {report.broken.reason}. "
        "Entries from that point cannot be relied on."
    )


def _now() -> datetime:
    return datetime.now(UTC)
