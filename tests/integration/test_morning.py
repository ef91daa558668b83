"""The morning on the production path (bench/morning.py) on the shared first-day-call scenario.

Marks up to Friday are imported and Friday PM swept beforehand; then, as the bench times it,
Monday's AM marks go in through `pathway import marks`, the `daily-sweep-am` deployment runs on a
process worker against a Prefect server on PostgreSQL, and `dispatch` runs until the first-day
text has reached the loopback Twilio server, exactly once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.morning import measure_morning, settle_backlog, write_marks
from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.db.migrate import upgrade
from casework.db.session import dispose_engines, get_engine
from casework.service.sweeping.sweep import run_sweep
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.orchestration_data import (
    FIRST_DAY_CALL,
    IMPORTED_AT,
    KINDS,
    MONDAY,
    import_scenario,
    isolate_prefect_env,
    stage_entries,
)

FRIDAY = date(2025, 9, 5)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _before_monday(row: dict[str, str]) -> bool:
    return row["date"] < MONDAY.isoformat()


def _monday_am(row: dict[str, str]) -> bool:
    return row["date"] == MONDAY.isoformat() and row["session"] == "AM"


def _import_up_to_friday(url: str, folder: Path) -> None:
    """The scenario's five files, with the marks of the days before Monday only."""
    scenario = folder / "scenario"
    scenario.mkdir()
    for kind in KINDS[:-1]:
        (scenario / f"{kind}.csv").write_bytes((FIRST_DAY_CALL / f"{kind}.csv").read_bytes())
    write_marks(FIRST_DAY_CALL / "marks.csv", scenario / "marks.csv", _before_monday)
    import_scenario(get_engine(url), scenario, folder / "reports")


def test_first_day_text_reaches_twilio_once_on_the_production_path(tmp_path: Path) -> None:
    """Import, sweep deployment, dispatch deployment: the one first-day text is accepted once."""
    require_postgres()
    isolate_prefect_env(tmp_path)
    app_db = create_postgres_database()
    try:
        upgrade(app_db)
        _import_up_to_friday(app_db, tmp_path)
        run_sweep(
            get_engine(app_db), FRIDAY, RegisterSession.PM, policy=load_policy(), now=IMPORTED_AT
        )
        settle_backlog(app_db)
        am_marks = tmp_path / "monday_am.csv"
        assert write_marks(FIRST_DAY_CALL / "marks.csv", am_marks, _monday_am) == 3
        result = measure_morning(app_db, MONDAY, am_marks, tmp_path)

        assert (result["texts"], result["texts_all"]) == (1, 1)
        assert result["dispatch_runs"] == 0  # the sweep's own run sent it, from its child process
        assert result["import"].startswith("marks: 3 accepted")
        assert stage_entries(get_engine(app_db)) == [("C931400125001", "first_day_call", MONDAY)]
        assert result["morning_e2e_s"] > result["import_s"] > 0
    finally:
        dispose_engines()
        drop_postgres_database(app_db)
