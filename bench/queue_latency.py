"""GET /tasks latency with 10,000 open tasks: the real app under uvicorn on loopback, real HTTP.

Seeds a fresh SQLite database (or the PostgreSQL database given) with 20 schools, 2,000 pupils
and 10,000 open tasks, signs in as an LA officer and as one school's attendance officer, and
times the queue pages they open most. Prints milliseconds; `run()` returns the numbers.

    .venv/bin/python -m bench.queue_latency            # SQLite in a temporary folder
    .venv/bin/python -m bench.queue_latency --requests 500
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from pwdlib import PasswordHash

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.db.tables import Pupil, School, Task, User
from casework.settings import Settings
from casework.web.app import create_app

SCHOOLS = 20
PUPILS = 2_000
PASSWORD = "bench password 123"
TODAY = date(2025, 11, 19)
NOW = datetime(2025, 11, 19, 10, 30, tzinfo=UTC)
KINDS = ("call_parent", "home_visit", "attendance_meeting", "plan_review", "taf_meeting")
OWNERS = ("attendance_officer", "school_office", "dsl", "headteacher", "la_officer")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _urn(index: int) -> str:
    return f"{300001 + index}"


def seed(url: str, tasks: int) -> None:
    """Schools, pupils, open tasks (some severe, some overdue) and two accounts, in bulk."""
    engine = get_engine(url)
    password_hash = PasswordHash.recommended().hash(PASSWORD)
    schools = [
        {
            "urn": _urn(i),
            "name": f"Bench School {i:02d}",
            "la_code": "201",
            "phase": "primary",
            "am_register_closes": clock_time(9, 15),
            "pm_register_closes": clock_time(13, 30),
        }
        for i in range(SCHOOLS)
    ]
    pupils = [
        {
            "upn": f"B201{n:09d}",
            "urn": _urn(n % SCHOOLS),
            "forename": "Pupil",
            "surname": f"{n}",
            "date_of_birth": date(2014, 9, 1),
            "year_group": "6",
            "sen_status": "N",
        }
        for n in range(PUPILS)
    ]
    rows = [
        {
            "key": f"bench:{n}",
            "upn": pupils[n % PUPILS]["upn"],
            "urn": pupils[n % PUPILS]["urn"],
            "kind": KINDS[n % len(KINDS)],
            "status": "overdue" if n % 17 == 0 else "open",
            "owner_role": OWNERS[n % len(OWNERS)],
            "priority": 10 if n % 50 == 0 else 0,
            "created_date": TODAY - timedelta(days=n % 30),
            "due_date": TODAY + timedelta(days=(n % 21) - 7),
            "context": {},
        }
        for n in range(tasks)
    ]
    users: list[dict[str, Any]] = [
        {"email": "la@bench.example.org", "role": "la_officer", "urn": None},
        {"email": "officer@bench.example.org", "role": "attendance_officer", "urn": _urn(0)},
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(School.__table__), schools)  # type: ignore[attr-defined]
        conn.execute(sa.insert(Pupil.__table__), pupils)  # type: ignore[attr-defined]
        conn.execute(sa.insert(Task.__table__), rows)  # type: ignore[attr-defined]
        conn.execute(
            sa.insert(User.__table__),  # type: ignore[attr-defined]
            [
                {**u, "password_hash": password_hash, "created_at": NOW, "active": True}
                for u in users
            ],
        )


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _signed_in(base_url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    return client


def _timings(client: httpx.Client, path: str, requests: int) -> list[float]:
    for _ in range(5):
        client.get(path)  # warm-up: templates compiled, connections pooled
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def run(
    tasks: int = 10_000, requests: int = 200, database_url: str | None = None
) -> dict[str, float]:
    """Seed `tasks` open tasks, then time GET /tasks; milliseconds by view."""
    with tempfile.TemporaryDirectory(prefix="pathway-bench-") as tmp:
        var_dir = Path(tmp)
        url = database_url or f"sqlite:///{var_dir / 'bench.db'}"
        upgrade(url)
        seed(url, tasks)
        app = create_app(Settings(var_dir=var_dir, database_url=url))
        app.state.web.clock = lambda: NOW
        views = {
            "la_all": ("la@bench.example.org", "/tasks?owner=all"),
            "la_all_page_100": ("la@bench.example.org", "/tasks?owner=all&page=100"),
            "school_mine": ("officer@bench.example.org", "/tasks"),
        }
        results: dict[str, float] = {"tasks": float(tasks), "requests": float(requests)}
        with serve(app) as base_url:
            for name, (email, path) in views.items():
                client = _signed_in(base_url, email)
                try:
                    timings = _timings(client, path, requests)
                finally:
                    client.close()
                results[f"{name}_p50_ms"] = round(statistics.median(timings), 2)
                results[f"{name}_p95_ms"] = round(_p95(timings), 2)
        results["p95_ms"] = results["la_all_p95_ms"]
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    results = run(args.tasks, args.requests, args.database_url)
    for key, value in results.items():
        unit = " ms" if key.endswith("_ms") else ""
        print(f"{key:>24}: {value:g}{unit}")


if __name__ == "__main__":
    main()
