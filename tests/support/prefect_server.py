"""The production shape of docs/orchestration.md on loopback, for tests and the bench.

`prefect server start` on its own PostgreSQL database, the process work pool and the
`sms-provider` limit created through the API, `prefect deploy` of named deployments from
prefect.yaml, a process worker whose environment carries the app's settings, and flow runs
created and waited for through the API. Every process runs in its own session and is ended, with
whatever it started, when its block exits. Used by tests/integration/test_scale_out.py and
bench/morning.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from flows.runtime import PREFECT_DEFAULTS
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = str(BIN / "prefect")
POOL = "pathway-process"  # prefect.yaml's work pool
FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


class ProcessFailed(RuntimeError):
    """A server, worker or CLI call exited or did not get there in time; the log's tail."""


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"


def base_env(home: Path) -> dict[str, str]:
    """This process's environment without PREFECT_* or PATHWAY_*, plus the project's defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PATHWAY_"))}
    return env | dict(PREFECT_DEFAULTS) | {"PREFECT_HOME": str(home)}


def run_command(command: list[str], env: Mapping[str, str], timeout: float = 300) -> str:
    """Run to the end in the checkout; its stdout, or ProcessFailed with its stderr."""
    done = subprocess.run(
        command, env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ProcessFailed(f"{command[1:3]} exit {done.returncode}: {done.stderr[-3000:]}")
    return done.stdout


@contextmanager
def spawned(
    command: list[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A background process in its own session, ended (with all it started) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=dict(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
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


def _check_running(process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    if process.poll() is not None:
        raise ProcessFailed(f"{what} exited: {_tail(log)}")


def _wait_healthy(api: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        _check_running(server, "server", log)
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise ProcessFailed(f"Prefect server not healthy in time: {_tail(log)}")


@contextmanager
def prefect_server(folder: Path, database_url: str) -> Iterator[str]:
    """`prefect server start` on loopback with its own PostgreSQL database; yields the API URL.

    The scheduler is off: prefect.yaml's crons would otherwise add runs of their own (a
    dispatch every five minutes) beside the ones the caller creates.
    """
    port = free_port()
    env = base_env(folder / "server-home") | {
        "PREFECT_API_DATABASE_CONNECTION_URL": database_url.replace("+psycopg", "+asyncpg", 1),
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    command = [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"]
    log = folder / "server.log"
    with spawned(command, env, log) as server:
        api = f"http://127.0.0.1:{port}/api"
        _wait_healthy(api, server, log)
        yield api


def create_process_pool(api: str, name: str = POOL) -> None:
    """What `prefect work-pool create NAME --type process` does, without another CLI start-up."""
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    body = {"name": name, "type": "process", "base_job_template": template}
    httpx.post(f"{api}/work_pools/", json=body).raise_for_status()


def create_global_limit(api: str, name: str, limit: int) -> None:
    """What `prefect gcl create NAME --limit N` does (dispatch holds a slot of `sms-provider`)."""
    body = {"name": name, "limit": limit}
    httpx.post(f"{api}/v2/concurrency_limits/", json=body).raise_for_status()


def client_env(folder: Path, api: str) -> dict[str, str]:
    """What `prefect deploy` and a worker need: the API, and where the code lives."""
    return base_env(folder / "client-home") | {
        "PREFECT_API_URL": api,
        "PATHWAY_CODE_DIR": str(ROOT),
    }


def deploy(env: Mapping[str, str], names: list[str]) -> None:
    """`prefect --no-prompt deploy --name A --name B` from the checkout's prefect.yaml."""
    run_command([PREFECT, "--no-prompt", "deploy", *[a for n in names for a in ("--name", n)]], env)


@contextmanager
def process_worker(
    api: str, env: Mapping[str, str], log: Path, query_seconds: float = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """`prefect worker start --pool pathway-process`, yielded once the pool knows it.

    A process worker passes its environment to each flow run: that is where the app's settings
    go. It looks for runs every `query_seconds` (Prefect's default is 10; a scheduled run is
    fetched ahead of its time, a run created through the API is not).
    """
    command = [PREFECT, "worker", "start", "--pool", POOL]
    worker_env = dict(env) | {"PREFECT_WORKER_QUERY_SECONDS": str(query_seconds)}
    with spawned(command, worker_env, log) as worker:
        deadline = time.monotonic() + 240
        while not httpx.post(f"{api}/work_pools/{POOL}/workers/filter", json={}).json():
            _check_running(worker, "worker", log)
            if time.monotonic() > deadline:
                raise ProcessFailed(f"worker not registered in time: {_tail(log)}")
            time.sleep(0.5)
        yield worker


def start_run(api: str, deployment: str, parameters: Mapping[str, object]) -> str:
    """What `prefect deployment run NAME --param ...` does; returns the flow run id."""
    found = httpx.get(f"{api}/deployments/name/{deployment}").raise_for_status().json()
    created = httpx.post(
        f"{api}/deployments/{found['id']}/create_flow_run", json={"parameters": dict(parameters)}
    ).raise_for_status()
    run_id: str = created.json()["id"]
    return run_id


def wait_final(
    api: str,
    run_id: str,
    worker: subprocess.Popen[bytes],
    log: Path,
    poll_seconds: float = 1,
    timeout: float = 400,
) -> dict[str, Any]:
    """Poll the flow run until its state is final; the run as the API returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_running(worker, "worker", log)
        run: dict[str, Any] = httpx.get(f"{api}/flow_runs/{run_id}").raise_for_status().json()
        if run["state"]["type"] in FINAL:
            return run
        time.sleep(poll_seconds)
    raise ProcessFailed(f"flow run not finished in time: {_tail(log)}")


def flow_runs(api: str, flow_name: str) -> list[dict[str, Any]]:
    """Every run of the flow named `flow_name`."""
    body = {"flows": {"name": {"any_": [flow_name]}}}
    runs: list[dict[str, Any]] = httpx.post(f"{api}/flow_runs/filter", json=body).json()
    return runs
