"""Acceptance scenarios through the public `pathway` CLI, with the shared runner.

The shared scenarios (/work/shared/scenarios, beside the checkout) run in one go; each of our own
folders here runs on its own, so a failure names its scenario. A folder holding a `policy.toml`
runs with PATHWAY_POLICY_FILE pointing at it (the runner passes the environment through).
Each scenario imports CSVs and sweeps through subprocesses, so expect tens of seconds apiece.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "scenarios"
RUNNER = SHARED / "run.py"
PATHWAY = Path(sys.executable).with_name("pathway").absolute()
OWN = sorted(p.parent for p in HERE.glob("*/scenario.toml") if p.parent.name != "legal")

pytestmark = pytest.mark.slow


def require_runner() -> None:
    """Skip without the shared runner, except under CI=true where that is a failure."""
    if RUNNER.is_file() and PATHWAY.is_file():
        return
    reason = f"shared scenario runner {RUNNER} or CLI {PATHWAY} not found"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def run_scenarios(folders: list[Path], env: dict[str, str] | None = None) -> str:
    """Run the shared runner over absolute scenario folders; returns its output."""
    proc = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            "--pathway",
            str(PATHWAY),
            *(str(f.absolute()) for f in folders),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "0 failed" in output, output
    return output


def test_shared_scenarios_pass() -> None:
    """Every scenario in the shared folder passes against our CLI."""
    require_runner()
    folders = sorted(p.parent for p in SHARED.glob("*/scenario.toml"))
    assert folders, f"no scenarios under {SHARED}"
    output = run_scenarios(folders)
    assert f"{len(folders)} passed" in output, output


@pytest.mark.parametrize("folder", OWN, ids=[f.name for f in OWN])
def test_own_scenario_passes(folder: Path) -> None:
    """Each of our scenario folders passes; its own policy.toml, if any, is the LA's policy."""
    require_runner()
    policy = folder / "policy.toml"
    env = {"PATHWAY_POLICY_FILE": str(policy)} if policy.is_file() else {}
    output = run_scenarios([folder], env)
    assert "1 passed" in output, output
