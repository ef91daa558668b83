"""A `pathway sweep` SIGKILLed between two schools' commits, then rerun: nothing lost or doubled.

The deterministic version of the soak's sweep kills (`make soak`, bench/soak_sweep.py): the
kill lands as soon as the first school's transaction has committed, so the next school is
mid-write; the rerun must leave exactly what an undisturbed in-process sweep of the same data
leaves in a reference database.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bench.soak_kill import run_and_kill, run_to_end
from bench.soak_sweep import START, compare, head_seq, import_la
from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.service.sweeping.sweep import run_sweep

pytestmark = pytest.mark.slow


def test_sweep_killed_after_a_schools_commit_then_rerun_matches_an_undisturbed_sweep(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Stage entries, tasks, decisions, messages and audit kinds equal the reference's."""
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(reference_url)
    reference = get_engine(reference_url)
    import_la([engine, reference], tmp_path / "la", pupils=60, seed=7)
    env = {
        **os.environ,
        "PATHWAY_DATABASE_URL": database_url,
        "PATHWAY_VAR_DIR": str(tmp_path / "var"),
        "PATHWAY_ORCHESTRATOR": "inline",
        "PATHWAY_SWEEP_WORKERS": "1",
    }
    run_sweep(reference, START, RegisterSession.AM, policy=load_policy(), now=datetime.now(UTC))
    args = ["sweep", "--date", START.isoformat(), "--session", "AM"]
    before = head_seq(engine)

    landed = run_and_kill(args, env, lambda: head_seq(engine) > before, 120, random.Random(0))
    assert landed
    assert head_seq(engine) > before  # at least one school's work is in
    run_to_end(args, env)
    assert compare(engine, reference) == (0, 0)
