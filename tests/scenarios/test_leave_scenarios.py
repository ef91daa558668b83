"""The leave, part-time timetable, deletion and update scenarios (tests/scenarios/leave/)
through the `pathway` CLI with the shared runner, and the shared `leave_granted_in_advance`.

Each folder is a shared-format scenario; `leave/make_marks.py` wrote their registers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED
from tests.scenarios.test_legal_scenarios import run_scenario

LEAVE = Path(__file__).resolve().parent / "leave"
SCENARIOS = sorted(p for p in LEAVE.iterdir() if (p / "scenario.toml").is_file())


def test_every_scenario_folder_is_complete() -> None:
    assert len(SCENARIOS) >= 3
    for folder in SCENARIOS:
        names = {p.name for p in folder.iterdir()}
        assert {"schools.csv", "calendar.csv", "pupils.csv", "contacts.csv", "marks.csv"} <= names
        assert "description" in (folder / "scenario.toml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("folder", SCENARIOS, ids=lambda p: p.name)
def test_leave_scenario(folder: Path) -> None:
    proc = run_scenario(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"PASS {folder.name}" in proc.stdout


@pytest.mark.slow
def test_shared_leave_granted_in_advance_scenario_passes() -> None:
    folder = SHARED / "scenarios" / "leave_granted_in_advance"
    if not folder.is_dir():
        pytest.skip(f"shared scenarios not found at {folder}")
    proc = run_scenario(folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
