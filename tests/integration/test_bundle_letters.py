"""The prosecution evidence bundle carries every letter sent to the family, as a real PDF.

Issue 18 item 6: the bundle held no letter PDFs because a letter's stored path was a bare file
name resolved against the current directory. Here the penalty-notice letters go through the real
postroom (dispatch renders them with WeasyPrint into the var folder), one is recorded as posted,
the process then works from another directory, and the prosecution approved later must still
find them; the prosecution's own letters, queued by the approval, are rendered for the bundle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.db.tables import Letter, Task
from casework.service.tasks.actions import complete_task
from casework.service.tasks.deadlines import run_deadlines
from casework.settings import Settings
from notifications.dispatch import dispatch_due
from notifications.letters import letter_file
from tests.integration.test_decisions import (
    NOW,
    POLICY,
    approve,
    requested,
    seed,
    sweep,
)

FACTORS = {
    "eso_considered": "Considered at panel: not suitable",
    "contract_explored": "Offered 1 October, declined",
}


def _pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _post(engine: Engine, letter_key: str) -> None:
    with Session(engine) as db:
        task = db.exec(select(Task).where(Task.key == f"{letter_key}:post")).one()
    complete_task(
        engine,
        task.id or 0,
        outcome="posted",
        actor="office@school.example",
        on=date(2025, 11, 19),
        now=NOW,
        policy=POLICY,
    )


def test_bundle_holds_every_family_letter_pdf_with_its_status(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    var_dir = tmp_path / "var"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17), var_dir)
    dispatch_due(engine, settings, NOW + timedelta(hours=1))  # the postroom renders the PDFs
    with Session(engine) as db:
        rendered = db.exec(select(Letter).order_by(Letter.id)).all()  # type: ignore[arg-type]
    assert len(rendered) == 2
    assert all(row.path == f"letters/{Path(row.path or '').name}" for row in rendered)
    _post(engine, rendered[0].key)
    run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)

    elsewhere = tmp_path / "elsewhere"  # the CLI or a worker started from any directory
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    prosecution_id = requested(engine, "prosecution")
    # After the interview-under-caution invitations' time to respond (rule 36).
    outcome = approve(engine, prosecution_id, date(2026, 1, 15), var_dir, factors=FACTORS)
    folder = Path(outcome.bundle_path)
    assert folder.parent == var_dir / "bundles"
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    letters = manifest["letters"]

    by_template: dict[str, list[dict[str, object]]] = {}
    for entry in letters:
        by_template.setdefault(str(entry["template"]), []).append(entry)
    assert sorted(by_template) == [
        "legal/penalty_notice",
        "legal/prosecution_decision",
        "prosecution/warning",
    ]
    notices = by_template["legal/penalty_notice"]
    prosecution = by_template["legal/prosecution_decision"]
    assert len(notices) == 2
    assert {e["status"] for e in notices} == {"sent"}
    assert {e["pdf_source"] for e in notices} == {"the PDF rendered when the letter was dispatched"}
    assert sorted(str(e["posted_on"]) for e in notices) == ["2025-11-19", "None"]
    assert {e["status"] for e in prosecution} == {"queued"}  # queued by this very approval
    assert all(str(e["pdf_source"]).startswith("not yet dispatched") for e in prosecution)

    for entry in letters:
        pdf = folder / str(entry["file"])
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        assert manifest["files"][entry["file"]] == entry["sha256"]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        text = _pdf_text(pdf)
        assert "Sam Arch" in text
        assert str(entry["recipient"]) in text
    # The copies are the very files the postroom rendered, byte for byte.
    for row in rendered:
        original = letter_file(var_dir, row.path)
        assert original is not None
        assert hashlib.sha256(original.read_bytes()).hexdigest() == row.sha256
        assert row.sha256 in {e["sha256"] for e in notices}
    assert {str(e["recipient"]) for e in letters} == {"Alex Arch", "Jo Arch"}  # both parents
    index = _pdf_text(folder / "bundle.pdf").replace("\r\n", "")  # lines wrap inside names
    assert "PDF: letters/message-" in index
    assert "posted 2025-11-19 (the PDF rendered when the letter was dispatched)" in index
