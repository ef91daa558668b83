"""The audit trail PDF on real SQLite and PostgreSQL, read back with pypdfium2.

What a court is handed: every matching entry with its seq and hash prefixes, the filters, page
numbers, and a statement of what the chain check covered — the entries after the last verified
head, or the whole chain when asked — or that the chain is broken.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from sqlalchemy.engine import Engine

from casework.db.audit_checkpoint import checkpoint_path, read_checkpoint
from casework.service.audit.trail import TrailFilters, verify_and_checkpoint
from casework.service.audit.trail_pdf import ChainCheck, export_pdf
from tests.integration.test_audit_log import append, draft, export_lines, raw

NOW = datetime(2025, 3, 14, 16, 0, tzinfo=UTC)
ENTRIES = 20


@pytest.fixture
def trail(engine: Engine) -> Engine:
    append(engine, ENTRIES)
    return engine


@pytest.fixture
def anchor(tmp_path: Path) -> Path:
    return tmp_path / "var" / "audit-anchor.jsonl"


def pdf_text(engine: Engine, tmp_path: Path, **options: Any) -> str:
    """The exported PDF's text, whitespace runs as single spaces (columns are padded)."""
    path = export_pdf(engine, tmp_path / "out" / "trail.pdf", now=NOW, **options)
    document = pypdfium2.PdfDocument(str(path))
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return re.sub(r"\s+", " ", text)


class RecordingProgress:
    """A Progress that keeps what it heard, and can act when a phase begins."""

    def __init__(self, on_phase: Any = None) -> None:
        self.phases: list[tuple[str, int | None]] = []
        self.advanced = 0
        self.on_phase = on_phase

    def phase(self, description: str, total: int | None = None) -> None:
        self.phases.append((description, total))
        if self.on_phase is not None:
            self.on_phase(description)

    def advance(self, steps: int = 1) -> None:
        self.advanced += steps


class TestContents:
    def test_each_entry_shows_its_fields_and_hash_prefixes_when_exported(
        self, trail: Engine, tmp_path: Path
    ) -> None:
        """Every matching entry is printed with seq, London time, school, pupil, case, what
        happened and the stage in words, actor, detail in words and the first 16 characters of
        its hash and previous hash; dates day first."""
        text = pdf_text(trail, tmp_path, filters=TrailFilters(urn="100001"))
        expected = export_lines(trail, urn="100001")
        assert len(expected) == ENTRIES // 2
        for record in expected:
            day = date.fromisoformat(record["school_date"]).strftime("%d/%m/%Y")
            line = (
                f"{record['seq']} 10/03/2025 09:45:12 GMT {day} 100001 "
                f"{record['upn']} {record['case_id']} Message written First-day call system "
                f"{record['hash'][:16]} {record['prev_hash'][:16]} Sent by: Text message;"
            )
            assert line in text
        assert f"Contact: C{expected[0]['case_id']};" in text
        assert "message.queued" not in text
        assert "first_day_call" not in text
        assert "School (URN): 100001 Pupil (UPN): all From: start of the trail" in text
        assert "Entries shown: 10 Times: Europe/London" in text
        assert "End of the trail: 10 entries shown." in text
        assert "Page 1 of 1" in text

    def test_pages_are_numbered_out_of_the_total_when_the_trail_runs_long(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A trail over several pages numbers each 'Page n of N' and loses no entry."""
        append(engine, 120)
        text = pdf_text(engine, tmp_path)
        pages = int(re.findall(r"Page 1 of (\d+)", text)[0])
        assert pages > 1
        assert f"Page {pages} of {pages}" in text
        for record in export_lines(engine):
            assert f"{record['hash'][:16]} {record['prev_hash'][:16]}" in text

    def test_characters_the_font_lacks_show_as_code_points_when_printed(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Nothing vanishes: a character the font cannot draw is printed as <U+XXXX>."""
        append_one(engine, detail={"reason": "Zoë\tsaid 漢"})
        text = pdf_text(engine, tmp_path)
        assert "Reason: Zoë said <U+6F22>" in text
        assert "Audit chain verified: its one entry is intact" in text
        assert "End of the trail: 1 entry shown." in text
        assert "Generated 14/03/2025 16:00 GMT" in text

    def test_a_long_detail_wraps_whole_when_wider_than_the_page(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A detail longer than a line goes on over the next lines, every word of it kept."""
        words = [f"word{n}" for n in range(150)]
        append_one(engine, detail={"reason": " ".join(words)})
        text = pdf_text(engine, tmp_path)
        assert " ".join(words) in text

    def test_no_entries_is_said_when_the_filters_match_nothing(
        self, trail: Engine, tmp_path: Path
    ) -> None:
        """An empty export still carries its filters and the chain statement."""
        text = pdf_text(trail, tmp_path, filters=TrailFilters(from_date=date(2030, 1, 1)))
        assert "From: 2030-01-01" in text
        assert "No audit entries match these filters." in text
        assert "Audit chain verified: all 20 entries intact" in text


def append_one(engine: Engine, **overrides: Any) -> None:
    from casework.db.audit_log import append_entries
    from casework.db.session import unit_of_work

    with unit_of_work(engine) as session:
        append_entries(session, [draft(0, **overrides)], NOW)


class TestVerification:
    def test_whole_chain_is_checked_and_recorded_when_there_is_no_earlier_check(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """The first export reads the whole chain, says so, and leaves a checkpoint."""
        text = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor))
        assert "Audit chain verified: all 20 entries intact (every entry checked now)." in text
        stored = read_checkpoint(checkpoint_path(anchor))
        assert stored is not None
        assert stored.seq == ENTRIES

    def test_only_entries_after_the_checkpoint_are_checked_when_one_exists(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """After an earlier check, the statement says which entries were checked now and when
        the rest were, and the checkpoint moves on."""
        verify_and_checkpoint(trail, [], checkpoint_path(anchor), full=True)
        append(trail, 3, start=ENTRIES)
        text = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor))
        assert (
            "Audit chain verified: all 23 entries intact (entries after seq 20 checked now; "
            "those up to seq 20 checked on "
        ) in text
        assert "and entry 20 still carries the hash verified then)." in text
        stored = read_checkpoint(checkpoint_path(anchor))
        assert stored is not None
        assert stored.seq == ENTRIES + 3

    def test_an_edit_behind_the_checkpoint_shows_when_the_full_check_is_asked(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """The incremental check's trade (ADR 0011): an edit before its head that left the
        stored hashes alone shows only to a full check, which stays one option away."""
        verify_and_checkpoint(trail, [], checkpoint_path(anchor), full=True)
        raw(trail, "UPDATE audit_entries SET actor = 'forger@la.example' WHERE seq = 3")
        quick = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor))
        assert "Audit chain verified: all 20 entries intact (no entries added since" in quick
        full = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor, full=True))
        assert "AUDIT CHAIN BROKEN at seq 3: hash does not match the entry's contents" in full
        assert "forger@la.example" in full  # the entries are still all printed

    def test_broken_chain_is_stated_when_an_entry_was_deleted(
        self, trail: Engine, tmp_path: Path
    ) -> None:
        """A deleted entry breaks the chain at its seq, and the PDF says so on top."""
        raw(trail, "DELETE FROM audit_entries WHERE seq = 11")
        text = pdf_text(trail, tmp_path)
        assert "AUDIT CHAIN BROKEN at seq 11: entry missing" in text
        assert "Entries from that point cannot be relied on." in text

    def test_a_cut_below_the_checkpoint_is_stated_as_broken(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """Entries removed from under the verified head make the statement BROKEN, not OK."""
        verify_and_checkpoint(trail, [], checkpoint_path(anchor), full=True)
        raw(trail, f"DELETE FROM audit_entries WHERE seq >= {ENTRIES - 1}")
        text = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor))
        assert f"AUDIT CHAIN BROKEN against its anchor at seq {ENTRIES}: truncated" in text

    def test_entries_written_after_the_check_are_left_out_when_exporting(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """The PDF holds what the statement covers: an entry appended once the check is done
        (by a sweep, say) waits for the next export."""

        def sweep_writes(description: str) -> None:
            if description.startswith("writing"):
                append(trail, 1, start=99)

        progress = RecordingProgress(on_phase=sweep_writes)
        text = pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor), progress=progress)
        assert "Audit chain verified: all 20 entries intact" in text
        assert "End of the trail: 20 entries shown." in text
        assert len(export_lines(trail)) == ENTRIES + 1


class TestProgress:
    def test_each_phase_and_every_entry_is_reported_when_exporting(
        self, trail: Engine, tmp_path: Path, anchor: Path
    ) -> None:
        """The check, then the entries with their total (each one advanced), then the saving."""
        progress = RecordingProgress()
        pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor), progress=progress)
        pdf_text(trail, tmp_path, check=ChainCheck.beside(anchor), progress=progress)
        assert progress.phases == [
            ("verifying the whole audit chain", None),
            ("writing 20 entries to the PDF", 20),
            ("saving the PDF", None),
            ("verifying the audit chain after seq 20 (checked before that)", None),
            ("writing 20 entries to the PDF", 20),
            ("saving the PDF", None),
        ]
        assert progress.advanced == 2 * ENTRIES
