"""Progress of the long CLI commands goes to stderr, on a terminal only for `simulate` and big
imports; stdout (what scripts read, DESIGN.md CLI contract) stays byte for byte what it is
without it.

`TTY_COMPATIBLE=1` makes rich treat stderr as a terminal, as a person's shell is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from casework.db.database import open_database
from casework.db.migrate import upgrade
from casework.seed import write_synthetic_la
from casework.settings import Settings
from tests.integration.orchestration_data import (
    FIRST_DAY_CALL,
    MONDAY,
    import_all_but_marks,
    import_scenario,
)

TERMINAL = {"TTY_COMPATIBLE": "1"}


def _scenario_env(folder: Path) -> dict[str, str]:
    """A fresh SQLite database with the first-day-call scenario imported; the CLI's env for it."""
    folder.mkdir()
    url = f"sqlite:///{folder / 'pathway.db'}"
    upgrade(url)
    engine = open_database(Settings(var_dir=folder / "var", database_url=url))
    import_scenario(engine, FIRST_DAY_CALL, folder / "reports")
    return {
        "PATHWAY_DATABASE_URL": url,
        "PATHWAY_VAR_DIR": str(folder / "var"),
        "PATHWAY_ORCHESTRATOR": "inline",
    }


def _simulate(env: dict[str, str]) -> Any:
    from casework.cli.app import app

    args = ["simulate", "--from", "2025-09-03", "--to", MONDAY.isoformat()]
    return CliRunner().invoke(app, args, env=env)


class TestSimulateProgress:
    def test_simulate_draws_days_on_stderr_only_when_stderr_is_a_terminal(
        self, tmp_path: Path
    ) -> None:
        """The same replay on two copies of one LA: a bar of days on the terminal's stderr,
        nothing on a pipe's, and the same summary on stdout both times."""
        plain = _simulate(_scenario_env(tmp_path / "plain"))
        shown = _simulate({**_scenario_env(tmp_path / "shown"), **TERMINAL})
        assert plain.exit_code == 0, plain.output
        assert shown.exit_code == 0, shown.output
        assert plain.stdout_bytes == shown.stdout_bytes
        assert "school sessions swept: 8" in plain.stdout
        assert plain.stderr_bytes == b""
        assert "simulating 2025-09-03 to 2025-09-08" in shown.stderr
        assert "6/6" in shown.stderr  # six calendar days, each one a step
        assert "\x1b[" in shown.stderr


def _seeded_env(folder: Path, csvs: Path) -> dict[str, str]:
    """A fresh database with the seeded LA's every file but its marks imported."""
    folder.mkdir()
    url = f"sqlite:///{folder / 'pathway.db'}"
    upgrade(url)
    engine = open_database(Settings(var_dir=folder / "var", database_url=url))
    import_all_but_marks(engine, csvs, folder)
    return {"PATHWAY_DATABASE_URL": url, "PATHWAY_VAR_DIR": str(folder / "var")}


class TestImportProgress:
    def test_big_import_draws_rows_on_stderr_only_when_stderr_is_a_terminal(
        self, tmp_path: Path
    ) -> None:
        """A year's marks file: a bar on a terminal's stderr, nothing on a pipe's, and the same
        counts on stdout both times."""
        from casework.cli.app import app

        csvs = tmp_path / "csv"
        rows = write_synthetic_la(
            csvs, schools=1, pupils=300, start=date(2025, 9, 3), end=date(2025, 10, 24), seed=7
        )
        args = ["import", "marks", str(csvs / "marks.csv")]
        plain = CliRunner().invoke(app, args, env=_seeded_env(tmp_path / "plain", csvs))
        shown = CliRunner().invoke(
            app, args, env={**_seeded_env(tmp_path / "shown", csvs), **TERMINAL}
        )
        assert plain.exit_code == 0, plain.output
        assert shown.exit_code == 0, shown.output
        assert plain.stdout_bytes == shown.stdout_bytes
        assert f"marks: {rows['marks']} accepted" in plain.stdout
        assert plain.stderr_bytes == b""
        assert "writing" in shown.stderr
        assert "\x1b[" in shown.stderr
