"""`pathway sar UPN --out DIR` (issue 19): a subject-access export a person can read."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from typer.testing import CliRunner

from casework.db.session import get_engine
from casework.db.tables import AuditEntry
from casework.service.audit.trail import verify
from tests.integration.test_decisions import UPN, approve, requested, seed, sweep


def _cli(sqlite_url: str, tmp_path: Path, *args: str) -> Any:
    from casework.cli.app import app

    env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(app, list(args), env=env)


def test_sar_writes_an_index_and_every_kind_of_record(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))
    out = tmp_path / "sar"
    result = _cli(sqlite_url, tmp_path, "sar", UPN.lower(), "--out", str(out))
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text()
    assert "Information held about Sam Arch" in index
    for page in ("record", "marks", "messages", "letters", "cases", "decisions", "audit"):
        assert f'href="{page}.html"' in index
        assert (out / f"{page}.html").is_file()
    record = (out / "record.html").read_text()
    assert "Alex Arch" in record
    assert "Jo Arch" in record
    assert "2025-11-10,AM,G" in (out / "marks.csv").read_text()
    assert "Penalty notices" in (out / "decisions.html").read_text()
    assert "decision.approved" in (out / "audit.html").read_text()
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.kind == "sar.exported")).one()
    assert (entry.upn, entry.actor) == (UPN, "cli")
    assert verify(engine) is None


def test_sar_for_an_unknown_pupil_is_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    result = _cli(sqlite_url, tmp_path, "sar", "A123456789012", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "no pupil A123456789012" in result.output
