"""The legal scenarios (tests/scenarios/legal/) through the `pathway` CLI with the shared runner.

Each folder is a shared-format scenario: CSVs imported into a fresh SQLite database, the steps
run as `pathway` commands, the audit trail exported and matched. The shared
`penalty_notice_threshold` scenario runs here too, since the legal rules decide it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED

LEGAL = Path(__file__).resolve().parent / "legal"
SCENARIOS = sorted(p for p in LEGAL.iterdir() if (p / "scenario.toml").is_file())
RUNNER = SHARED / "scenarios" / "run.py"
PATHWAY = Path(sys.executable).with_name("pathway")


def run_scenario(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNNER), "--pathway", str(PATHWAY), str(folder.resolve())],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_every_scenario_folder_is_complete() -> None:
    """Each scenario has its five CSVs and a description."""
    assert len(SCENARIOS) >= 8
    for folder in SCENARIOS:
        names = {p.name for p in folder.iterdir()}
        assert {"schools.csv", "calendar.csv", "pupils.csv", "contacts.csv", "marks.csv"} <= names
        assert "description" in (folder / "scenario.toml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("folder", SCENARIOS, ids=lambda p: p.name)
def test_legal_scenario(folder: Path) -> None:
    """The audit trail the CLI leaves matches every expect and no forbid."""
    proc = run_scenario(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"PASS {folder.name}" in proc.stdout


@pytest.mark.slow
def test_shared_penalty_notice_threshold_scenario_still_passes() -> None:
    """The shared scenario that depends on the threshold rule."""
    folder = SHARED / "scenarios" / "penalty_notice_threshold"
    if not folder.is_dir():
        pytest.skip(f"shared scenarios not found at {folder}")
    proc = run_scenario(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
