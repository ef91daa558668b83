"""Two processes sweeping the same session at once record one set of actions, not two.

Cron overlap, a manual `pathway sweep` during the scheduled one, or a worker retrying while the
first attempt still runs all look like this. Real `pathway` processes, one real database file
(SQLite) or server (PostgreSQL); the expected counts come from a single in-process sweep of the
same data on a separate database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.service.sweeping.sweep import run_sweep
from tests.integration.orchestration_data import (
    IMPORTED_AT,
    MONDAY,
    action_counts,
    import_scenario,
    stage_entries,
    write_synthetic_la,
)

PATHWAY = Path(sys.executable).parent / "pathway"
SCHOOLS, PUPILS = 4, 25


def _sweep_processes(url: str, var_dir: Path, copies: int) -> list[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env |= {
        "PATHWAY_DATABASE_URL": url,
        "PATHWAY_VAR_DIR": str(var_dir),
        "PATHWAY_ORCHESTRATOR": "inline",
    }
    command = [str(PATHWAY), "sweep", "--date", MONDAY.isoformat(), "--session", "AM"]
    return [
        subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(copies)
    ]


@pytest.mark.slow
def test_two_sweeps_at_once_record_one_set_of_actions(tmp_path: Path, database_url: str) -> None:
    """Both processes succeed; the rows equal those of one sweep; one first-day call per absence."""
    absent = write_synthetic_la(tmp_path / "csv", SCHOOLS, PUPILS)
    engine = get_engine(database_url)
    import_scenario(engine, tmp_path / "csv", tmp_path / "reports")
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(reference_url)
    reference = get_engine(reference_url)
    import_scenario(reference, tmp_path / "csv", tmp_path / "reports")
    run_sweep(reference, MONDAY, RegisterSession.AM, policy=load_policy(None), now=IMPORTED_AT)

    processes = _sweep_processes(database_url, tmp_path / "var", copies=2)
    outcomes = [p.communicate(timeout=600) for p in processes]

    for process, (_out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err[-2000:]
    assert action_counts(engine) == action_counts(reference)
    assert stage_entries(engine) == [(upn, "first_day_call", MONDAY) for upn in absent]
    assert len(absent) == SCHOOLS * PUPILS // 5
