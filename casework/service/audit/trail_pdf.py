"""The audit trail as a PDF for a court or an auditor: check the chain, then print what it covers.

The chain is checked first — from the last verified head (docs/decisions/0011) unless a full
check is asked for — and the PDF then holds exactly the matching entries that check covered (seq
up to its head), so the statement on the first page is true of every entry below it. Entries go
from the database, a page of rows at a time, straight onto PDF pages: the records are never all
held, only the PDF being built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.db.audit_anchor import Anchor, read_anchors
from casework.db.audit_checkpoint import checkpoint_path, read_checkpoint
from casework.db.audit_log import count_records
from casework.service.audit.trail import (
    ChainReport,
    TrailFilters,
    stream_records,
    verify_and_checkpoint,
    verify_report,
)
from casework.service.progress import SILENT, Progress
from casework.settings import LONDON

PROGRESS_EVERY = 250  # entries printed between two moves of a progress display


@dataclass(frozen=True)
class ChainCheck:
    """How an export checks the chain: against `anchors`, from the checkpoint unless `full`.

    Without a checkpoint file the whole chain is read and nothing is recorded.
    """

    anchors: list[Anchor] = field(default_factory=list)
    checkpoint: Path | None = None
    full: bool = False

    @classmethod
    def beside(cls, anchor_path: Path, *, full: bool = False) -> ChainCheck:
        """The anchors in `anchor_path` and the checkpoint kept beside it (ADR 0011)."""
        return cls(read_anchors(anchor_path), checkpoint_path(anchor_path), full)

    def describe(self) -> str:
        """The check about to run, as a progress phase."""
        since = None if self.checkpoint is None or self.full else read_checkpoint(self.checkpoint)
        if since is None:
            return "verifying the whole audit chain"
        return f"verifying the audit chain after seq {since.seq} (checked before that)"

    def run(self, engine: Engine) -> ChainReport:
        """Verify the chain; an intact chain's head becomes the next check's starting point."""
        if self.checkpoint is None:
            return verify_report(engine, self.anchors)
        return verify_and_checkpoint(engine, self.anchors, self.checkpoint, full=self.full)


def _when(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M %Z")


def verification_statement(report: ChainReport) -> str:
    """What the chain check found, in words for a magistrate, as printed above the entries."""
    if report.broken is not None:
        return (
            f"AUDIT CHAIN BROKEN at seq {report.broken.seq}: {report.broken.reason}. "
            "Entries from that point cannot be relied on."
        )
    if report.anchor_break is not None:
        return (
            f"AUDIT CHAIN BROKEN against its anchor at seq {report.anchor_break.seq}: "
            f"{report.anchor_break.reason}. This trail cannot be relied on."
        )
    if report.chain_entries == 0:
        return "Audit chain verified: it holds no entries yet."
    intact = (
        "Audit chain verified: its one entry is intact"
        if report.chain_entries == 1
        else f"Audit chain verified: all {report.chain_entries:,} entries intact"
    )
    since = report.since
    if since is None:
        return f"{intact} (every entry checked now)."
    when, seq = _when(since.verified_at), since.seq
    kept = f"entry {seq} still carries the hash verified then"
    if report.entries == 0:
        return f"{intact} (no entries added since the check of {when}; {kept})."
    return (
        f"{intact} (entries after seq {seq} checked now; those up to seq {seq} checked on "
        f"{when}, and {kept})."
    )


def write_pdf(
    engine: Engine,
    out: BinaryIO,
    *,
    filters: TrailFilters | None = None,
    check: ChainCheck | None = None,
    now: datetime | None = None,
    progress: Progress = SILENT,
) -> int:
    """Check the chain, then write the matching entries it covered to `out` as a PDF; returns
    how many entries were printed."""
    filters, check = filters or TrailFilters(), check or ChainCheck()
    progress.phase(check.describe())
    report = check.run(engine)
    # The chain's head bounds the export, so the statement covers every entry printed; a broken
    # chain has no trusted head, and then everything is printed under the BROKEN statement.
    through = report.head[0] if report.head is not None else None
    with Session(engine) as session:
        total = count_records(session, through_seq=through, **filters.as_kwargs())
    # Imported here: fpdf2 (fontTools) takes a second or more to import; only PDF exports need it.
    from casework.service.audit.pdf import TrailDocument, TrailHeading

    heading = TrailHeading(
        filters=filters.describe(),
        entries=total,
        verification=verification_statement(report),
        intact=report.is_intact,
        generated_at=now or datetime.now(UTC),
    )
    document = TrailDocument(heading)
    progress.phase(f"writing {total:,} entries to the PDF", total=total)
    written = 0
    for record in stream_records(engine, through_seq=through, **filters.as_kwargs()):
        document.add_entry(record)
        written += 1
        if written % PROGRESS_EVERY == 0:
            progress.advance(PROGRESS_EVERY)
    progress.advance(written % PROGRESS_EVERY)
    progress.phase("saving the PDF")
    document.finish(out)
    return written


def export_pdf(
    engine: Engine,
    path: Path,
    *,
    filters: TrailFilters | None = None,
    check: ChainCheck | None = None,
    now: datetime | None = None,
    progress: Progress = SILENT,
) -> Path:
    """Write the matching trail as a PDF at `path` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_pdf(engine, out, filters=filters, check=check, now=now, progress=progress)
    return path
