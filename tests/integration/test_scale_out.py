"""Scale-out end to end: a Prefect server on PostgreSQL, a process pool, a worker, a deployment.

The production shape of docs/orchestration.md on loopback: `prefect server start` on its own
PostgreSQL database, `prefect deploy` of the morning sweep from prefect.yaml, a worker that picks
the run up and runs the flow in a subprocess against the app's own PostgreSQL database. Meanwhile
the CLI in `auto` mode, seeing PREFECT_API_URL, sends the afternoon sweep through the same server.
Every process is stopped and both databases dropped in finally blocks.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from flows.runtime import PREFECT_DEFAULTS
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.orchestration_data import (
    FIRST_DAY_CALL,
    MONDAY,
    import_scenario,
    isolate_prefect_env,
    stage_entries,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ABSENT = "C931400125001"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PATHWAY_"))}
    return env | dict(PREFECT_DEFAULTS) | {"PREFECT_HOME": str(home)}


def _run(command: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command[1:3]} exit {done.returncode}: {done.stderr[-3000:]}"
    return done.stdout


@contextmanager
def _spawned(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A background process in its own session, ended (with all it started) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def _wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert server.poll() is None, f"server exited: {log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"Prefect server not healthy in time: {log.read_text()[-3000:]}")


@contextmanager
def _prefect_server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """`prefect server start` on loopback with its own PostgreSQL database; yields the API URL."""
    port = _free_port()
    env = _base_env(tmp_path / "server-home") | {
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # only the runs this test creates
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    command = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
               str(port), "--no-ui"]  # fmt: skip
    log = tmp_path / "server.log"
    with _spawned(command, env, log) as server:
        api = f"http://127.0.0.1:{port}/api"
        _wait_healthy(api, server, log)
        yield api


def _create_process_pool(api: str, name: str) -> None:
    """What `prefect work-pool create NAME --type process` does, without another CLI start-up."""
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    body = {"name": name, "type": "process", "base_job_template": template}
    httpx.post(f"{api}/work_pools/", json=body).raise_for_status()


def _start_run(api: str, deployment: str, parameters: dict[str, str]) -> str:
    """What `prefect deployment run NAME --param ...` does; returns the flow run id."""
    found = httpx.get(f"{api}/deployments/name/{deployment}").raise_for_status().json()
    created = httpx.post(
        f"{api}/deployments/{found['id']}/create_flow_run", json={"parameters": parameters}
    ).raise_for_status()
    run_id: str = created.json()["id"]
    return run_id


def _final_state(api: str, run_id: str, worker: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"worker exited: {log.read_text()[-3000:]}"
        state: dict[str, Any] = httpx.get(f"{api}/flow_runs/{run_id}").json()["state"]
        if state["type"] in FINAL:
            return str(state["type"])
        time.sleep(1)
    pytest.fail(f"flow run not finished in time: {log.read_text()[-3000:]}")


def _flow_runs(api: str, flow_name: str) -> list[dict[str, Any]]:
    body = {"flows": {"name": {"any_": [flow_name]}}}
    runs: list[dict[str, Any]] = httpx.post(f"{api}/flow_runs/filter", json=body).json()
    return runs


def test_deployment_runs_on_a_worker_against_postgres(tmp_path: Path) -> None:
    """Deploy, run with parameters on a process worker, and find the sweep's rows in the app DB."""
    require_postgres()
    isolate_prefect_env(tmp_path)
    prefect_db = create_postgres_database()
    app_db = create_postgres_database()
    try:
        upgrade(app_db)
        import_scenario(get_engine(app_db), FIRST_DAY_CALL, tmp_path / "reports")
        asyncpg_url = prefect_db.replace("+psycopg", "+asyncpg", 1)
        with _prefect_server(tmp_path, asyncpg_url) as api:
            _deploy_run_and_check(api, tmp_path, app_db)
    finally:
        drop_postgres_database(app_db)
        drop_postgres_database(prefect_db)


def _deploy_run_and_check(api: str, tmp_path: Path, app_db: str) -> None:
    client = _base_env(tmp_path / "client-home") | {
        "PREFECT_API_URL": api,
        "PATHWAY_CODE_DIR": str(ROOT),
    }
    # A process worker passes its environment to each flow run: that is where the app DB is named.
    app = {"PATHWAY_DATABASE_URL": app_db, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    prefect = str(BIN / "prefect")
    _create_process_pool(api, "pathway-process")
    worker_log, cli_log = tmp_path / "worker.log", tmp_path / "cli.log"
    with ExitStack() as running:
        worker = running.enter_context(_spawned(
            [prefect, "worker", "start", "--pool", "pathway-process"],
            client | app | {"PREFECT_WORKER_QUERY_SECONDS": "1"}, worker_log,
        ))  # fmt: skip
        _run([prefect, "--no-prompt", "deploy", "--name", "daily-sweep-am"], client)
        run_id = _start_run(
            api, "daily-sweep/daily-sweep-am", {"school_date": MONDAY.isoformat(), "session": "AM"}
        )
        # Meanwhile, `auto` with PREFECT_API_URL set: the CLI's sweep becomes a flow run here too.
        cli = running.enter_context(_spawned(
            [str(BIN / "pathway"), "sweep", "--date", MONDAY.isoformat(), "--session", "PM"],
            client | app | {"PATHWAY_ORCHESTRATOR": "auto"}, cli_log,
        ))  # fmt: skip

        assert _final_state(api, run_id, worker, worker_log) == "COMPLETED"
        assert cli.wait(timeout=400) == 0, cli_log.read_text()[-3000:]

    engine = get_engine(app_db)
    assert stage_entries(engine) == [(ABSENT, "first_day_call", MONDAY)]
    runs = _flow_runs(api, "daily-sweep")
    assert sorted((r["parameters"].get("session"), r["state"]["type"]) for r in runs) == [
        ("AM", "COMPLETED"),
        ("PM", "COMPLETED"),
    ]
    with engine.connect() as conn:
        swept = conn.execute(sa.text("SELECT session FROM sweep_runs ORDER BY session")).all()
    assert [s.session for s in swept] == ["AM", "PM"]
