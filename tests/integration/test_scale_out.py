"""Scale-out end to end: a Prefect server on PostgreSQL, a process pool, a worker, a deployment.

The production shape of docs/orchestration.md on loopback: `prefect server start` on its own
PostgreSQL database, `prefect deploy` of the morning sweep from prefect.yaml, a worker that picks
the run up and runs the flow in a subprocess against the app's own PostgreSQL database. Meanwhile
the CLI in `auto` mode, seeing PREFECT_API_URL, sends the afternoon sweep through the same server.
Every process is stopped and both databases dropped in finally blocks.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.orchestration_data import (
    FIRST_DAY_CALL,
    MONDAY,
    import_scenario,
    isolate_prefect_env,
    stage_entries,
)
from tests.support.prefect_server import (
    BIN,
    client_env,
    create_process_pool,
    deploy,
    flow_runs,
    prefect_server,
    process_worker,
    spawned,
    start_run,
    wait_final,
)

ABSENT = "C931400125001"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_deployment_runs_on_a_worker_against_postgres(tmp_path: Path) -> None:
    """Deploy, run with parameters on a process worker, and find the sweep's rows in the app DB."""
    require_postgres()
    isolate_prefect_env(tmp_path)
    prefect_db = create_postgres_database()
    app_db = create_postgres_database()
    try:
        upgrade(app_db)
        import_scenario(get_engine(app_db), FIRST_DAY_CALL, tmp_path / "reports")
        with prefect_server(tmp_path, prefect_db) as api:
            _deploy_run_and_check(api, tmp_path, app_db)
    finally:
        drop_postgres_database(app_db)
        drop_postgres_database(prefect_db)


def _deploy_run_and_check(api: str, tmp_path: Path, app_db: str) -> None:
    client = client_env(tmp_path, api)
    # A process worker passes its environment to each flow run: that is where the app DB is named.
    app = {"PATHWAY_DATABASE_URL": app_db, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    create_process_pool(api)
    worker_log, cli_log = tmp_path / "worker.log", tmp_path / "cli.log"
    with ExitStack() as running:
        worker = running.enter_context(process_worker(api, client | app, worker_log))
        deploy(client, ["daily-sweep-am"])
        run_id = start_run(
            api, "daily-sweep/daily-sweep-am", {"school_date": MONDAY.isoformat(), "session": "AM"}
        )
        # Meanwhile, `auto` with PREFECT_API_URL set: the CLI's sweep becomes a flow run here too.
        cli = running.enter_context(spawned(
            [str(BIN / "pathway"), "sweep", "--date", MONDAY.isoformat(), "--session", "PM"],
            client | app | {"PATHWAY_ORCHESTRATOR": "auto"}, cli_log,
        ))  # fmt: skip

        assert wait_final(api, run_id, worker, worker_log)["state"]["type"] == "COMPLETED"
        assert cli.wait(timeout=400) == 0, cli_log.read_text()[-3000:]

    engine = get_engine(app_db)
    assert stage_entries(engine) == [(ABSENT, "first_day_call", MONDAY)]
    runs = flow_runs(api, "daily-sweep")
    assert sorted((r["parameters"].get("session"), r["state"]["type"]) for r in runs) == [
        ("AM", "COMPLETED"),
        ("PM", "COMPLETED"),
    ]
    with engine.connect() as conn:
        swept = conn.execute(sa.text("SELECT session FROM sweep_runs ORDER BY session")).all()
    assert [s.session for s in swept] == ["AM", "PM"]
