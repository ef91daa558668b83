"""Fields the database cannot store are quarantined rows with a reason, never a crashed import.

A NUL character (PostgreSQL refuses it in text and JSONB) or a value longer than the column's
maximum used to abort the whole file on PostgreSQL with a traceback that printed the row. Now
the row is rejected naming the column and the problem, its neighbours go in, and neither the
reason nor any log line carries the row's names or numbers. Real SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from tests.integration.test_import import FILES, UPN_A, UPN_B, count, run, write

SECRET_NAME = "Zebedee"
SECRET_MOBILE = "+447911125099"


def _load_pupils_school(engine: Engine, folder: Path) -> None:
    for kind in ("schools", "pupils"):
        run(engine, kind, write(folder, f"{kind}.csv", FILES[kind]), folder / "reports")


def _contacts_with(rows: list[str]) -> str:
    header = FILES["contacts"].splitlines()[0]
    return "\n".join([header, *rows]) + "\n"


def test_nul_and_over_long_fields_quarantine_their_rows_and_the_rest_go_in(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Row 2 has a NUL in the name, row 3 an address of 501 characters; row 4 is fine."""
    _load_pupils_school(engine, tmp_path)
    text = _contacts_with(
        [
            f"{UPN_A},{UPN_A}-1,{SECRET_NAME}\x00 Able,mother,true,1,{SECRET_MOBILE},,sms,en,1 St",
            f"{UPN_A},{UPN_A}-2,Jo Able,father,true,2,{SECRET_MOBILE},,sms,en,{'x' * 501}",
            f"{UPN_B},{UPN_B}-1,Lee Baker,mother,true,1,,,letter,en,2 Mill Lane",
        ]
    )
    with caplog.at_level(logging.DEBUG):
        result = run(engine, "contacts", write(tmp_path, "contacts.csv", text), tmp_path / "r")
    assert (result.accepted, result.rejected) == (1, 2)
    assert [(e.row_no, e.reason) for e in result.errors] == [
        (2, "name contains a NUL character, which cannot be stored"),
        (3, "address is 501 characters long, more than the 500 allowed"),
    ]
    assert count(engine, "contacts") == 1
    assert count(engine, "quarantined_rows") == 2
    assert result.errors[0].raw["name"] == f"{SECRET_NAME}\ufffd Able"  # kept, made storable
    assert result.report_path is not None
    report = result.report_path.read_text(encoding="utf-8")
    assert "\x00" not in report
    logged = caplog.text
    assert SECRET_NAME not in logged
    assert SECRET_MOBILE not in logged


def test_a_nul_in_a_mark_is_a_quarantined_row(engine: Engine, tmp_path: Path) -> None:
    """The marks importer (its own fast loop) rejects the row the same way."""
    _load_pupils_school(engine, tmp_path)
    run(engine, "calendar", write(tmp_path, "calendar.csv", FILES["calendar"]), tmp_path / "r")
    lines = FILES["marks"].splitlines()
    lines[1] = lines[1].replace(",/,", ",/\x00,")
    path = write(tmp_path, "marks.csv", "\n".join(lines) + "\n")
    result = run(engine, "marks", path, tmp_path / "r")
    assert (result.accepted, result.rejected) == (4, 1)
    assert result.errors[0].reason == "code contains a NUL character, which cannot be stored"


def test_cli_import_prints_the_reason_without_a_traceback_or_the_row(
    database_url: str, tmp_path: Path
) -> None:
    """`pathway import pupils` exits 1 with counts and reasons; no names, no traceback."""
    from casework.cli.app import app

    env = {"PATHWAY_DATABASE_URL": database_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    schools = write(tmp_path, "schools.csv", FILES["schools"])
    assert runner.invoke(app, ["import", "schools", str(schools)], env=env).exit_code == 0
    pupils = FILES["pupils"].replace("Sam,Able", f"{SECRET_NAME}\x00,Able")
    result = runner.invoke(
        app, ["import", "pupils", str(write(tmp_path, "pupils.csv", pupils))], env=env
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "forename contains a NUL character" in result.output
    assert SECRET_NAME not in result.output
    assert "Traceback" not in result.output
