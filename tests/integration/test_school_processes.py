"""Schools swept in worker processes record what one process records, even when a worker dies.

A synthetic LA of four schools through the real importer, on SQLite and PostgreSQL; the expected
rows come from an in-process sweep of the same data on a separate SQLite database.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.service.sweeping.processes import SchoolProcesses, worker_count
from casework.service.sweeping.sweep import run_sweep, schools_to_sweep, sweep_school
from tests.integration.orchestration_data import (
    IMPORTED_AT,
    MONDAY,
    action_counts,
    import_scenario,
    stage_entries,
    write_synthetic_la,
)

SCHOOLS, PUPILS = 4, 20


def _reference(tmp_path: Path) -> dict[str, int]:
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    reference = get_engine(url)
    import_scenario(reference, tmp_path / "csv", tmp_path / "reference-reports")
    run_sweep(reference, MONDAY, RegisterSession.AM, policy=load_policy(None), now=IMPORTED_AT)
    return action_counts(reference)


def _wait_until_broken(pool: ProcessPoolExecutor) -> None:
    for _ in range(200):
        if pool._broken:
            return
        time.sleep(0.05)
    raise AssertionError("the pool did not notice its killed worker in 10 s")


def test_worker_count_follows_the_setting_and_never_exceeds_the_schools(
    tmp_path: Path,
) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'count.db'}")
    cores = os.cpu_count() or 1
    assert worker_count(engine, 0, 19) == 1  # a small LA: the sweep's own process
    assert worker_count(engine, 0, 20) == min(cores, 20)
    assert worker_count(engine, 1, 300) == 1
    assert worker_count(engine, 4, 300) == 4
    assert worker_count(engine, 4, 3) == 3
    assert worker_count(engine, 2, 0) == 1


def test_an_in_memory_sqlite_database_is_swept_in_the_callers_process() -> None:
    assert worker_count(get_engine("sqlite://"), 4, 300) == 1
    assert worker_count(get_engine("sqlite:///:memory:"), 4, 300) == 1
    postgres = get_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert worker_count(postgres, 4, 300) == 4


def test_a_killed_worker_is_replaced_and_every_school_swept_once(
    tmp_path: Path, database_url: str
) -> None:
    absent = write_synthetic_la(tmp_path / "csv", SCHOOLS, PUPILS)
    engine = get_engine(database_url)
    import_scenario(engine, tmp_path / "csv", tmp_path / "reports")
    expected = _reference(tmp_path)
    urns = schools_to_sweep(engine, MONDAY, RegisterSession.AM)
    policy = load_policy(None)

    with SchoolProcesses(engine, 2, sweep_school) as pool:
        first = pool.sweep(urns[0], MONDAY, RegisterSession.AM, policy=policy, now=IMPORTED_AT)
        broken = pool._pool  # the test reaches in: there is no public way to kill a worker
        workers = list(broken._processes)
        assert workers
        assert os.getpid() not in workers
        os.kill(workers[0], signal.SIGKILL)
        _wait_until_broken(broken)
        rest = pool.sweep_all(urns, MONDAY, RegisterSession.AM, policy=policy, now=IMPORTED_AT)
        assert pool._pool is not broken

    assert len(urns) == SCHOOLS
    assert (first.urn, first.skipped) == (urns[0], False)
    assert [r.urn for r in rest] == urns
    assert [r.skipped for r in rest] == [True] + [False] * (SCHOOLS - 1)
    assert action_counts(engine) == expected
    assert stage_entries(engine) == [(upn, "first_day_call", MONDAY) for upn in absent]


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-processes"])
def test_run_sweep_in_processes_matches_one_process(tmp_path: Path, workers: int) -> None:
    write_synthetic_la(tmp_path / "csv", SCHOOLS, PUPILS)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = get_engine(url)
    import_scenario(engine, tmp_path / "csv", tmp_path / "reports")

    results = run_sweep(
        engine,
        MONDAY,
        RegisterSession.AM,
        policy=load_policy(None),
        now=IMPORTED_AT,
        workers=workers,
    )

    assert len(results) == SCHOOLS
    assert not any(r.skipped for r in results)
    assert action_counts(engine) == _reference(tmp_path)
