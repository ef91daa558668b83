"""The command line in plain words: one-line database errors, dates with a worked example,
help that names the valid kinds and outcomes, chronology dates printed (never a literal `<10`),
and PATHWAY_AS_OF as the CLI's today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from tests.web_factories import TODAY, create_marks, create_pupil, create_school, create_stage_entry

MAIN = "from casework.cli import main; main()"


def _pathway(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args], env=full, capture_output=True, text=True, timeout=120
    )


def test_a_sqlite_path_in_a_missing_folder_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'pathway.db'}"
    result = _pathway({"PATHWAY_DATABASE_URL": url}, "tasks", "list")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: the folder {tmp_path / 'no-such-folder'} for the SQLite database does not exist:"
        " check PATHWAY_DATABASE_URL (a new database file is made only in an existing folder)"
    ]
    assert not (tmp_path / "no-such-folder").exists()


def test_a_new_sqlite_file_in_an_existing_folder_is_made_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _pathway({"PATHWAY_DATABASE_URL": url}, "tasks", "list")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").is_file()


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/pathway"
    result = _pathway({"PATHWAY_DATABASE_URL": url}, "tasks", "list")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach the database at 127.0.0.1:1/pathway:")
    assert "Traceback" not in result.stderr


def _invoke(env: dict[str, str], *args: str) -> object:
    from casework.cli.app import app

    return CliRunner().invoke(app, list(args), env=env)


def test_a_date_in_the_wrong_form_says_how_to_write_it(sqlite_url: str) -> None:
    result = _invoke({"PATHWAY_DATABASE_URL": sqlite_url}, "case", "X", "--on", "13/10/2025")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "use YYYY-MM-DD, for example 2025-09-08" in result.output  # type: ignore[attr-defined]


def test_help_lists_the_kinds_and_each_kinds_outcomes() -> None:
    from casework.cli.app import app

    result = CliRunner().invoke(app, ["tasks", "complete", "--help"], env={"COLUMNS": "200"})
    assert "home_visit" in result.output
    assert "home_visit: child_seen, child_not_seen" in result.output
    assert "--on YYYY-MM-DD" in result.output
    assert "<bool>" not in result.output


def test_case_prints_chronology_dates_and_uses_the_as_of_date(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = get_engine(sqlite_url)
    create_school(engine)
    pupil = create_pupil(engine, forename="Amelia", surname="Hartley")
    create_marks(engine, pupil, "/ / N N / /")
    create_stage_entry(engine, pupil, stage="home_visit")
    env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_AS_OF": TODAY.isoformat()}
    result = _invoke(env, "case", pupil.upn)
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    assert "<10" not in output
    assert "as of Wed 19 Nov 2025" in output
    assert "attendance 66.7% (4/6 sessions)" in output
    assert "Home visit" in output
    assert "Wed 19 Nov 2025 Case read" in output  # this read, in the chronology


def test_users_list_says_when_there_are_none(sqlite_url: str) -> None:
    result = _invoke({"PATHWAY_DATABASE_URL": sqlite_url}, "users", "list")
    assert "no accounts yet" in result.output.lower()  # type: ignore[attr-defined]
