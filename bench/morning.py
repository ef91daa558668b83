"""`morning_e2e_s`: the whole morning as an LA sees it, on the production path (issue 24).

The production shape of docs/orchestration.md on loopback: a Prefect server on its own
PostgreSQL database, the process pool, the `daily-sweep-am` and `dispatch` deployments of
prefect.yaml, a process worker whose environment carries the app's settings, the app on a
PostgreSQL copy of the bench LA, and the loopback Twilio server and SMTP relay in a child
process. Timed from the start of the AM marks import to the last first-day text that the
Twilio server accepted (its own clock):

- import: `pathway import marks FILE` in a subprocess, the command an LA's nightly or morning
  job runs, so its start-up is part of what the LA waits for;
- sweep: a `daily-sweep-am` run for the day, created through the API, waited for until
  COMPLETED; as deployed (prefect.yaml `then_send: true`) it sends the texts and emails it queues
  in the same run, each school's as soon as that school has committed;
- dispatch: `dispatch` runs, one after another, while any first-day text is left queued (none,
  when the sweep's own sending got them all out).

Untimed setup: the copy; the catch-up sweep of the session before the day (in-process), which
is the year's first and queues every stage's messages at once; then a bench-only step,
`settle_backlog`, marks what it queued as sent, as the days before would have, so that the
timed dispatch sends only this morning's messages. The worker runs production settings except
that quiet hours are empty (the bench plays a 09:40 morning whatever the wall clock says) and
that it asks for runs every second: Prefect's default is 10 s, which a scheduled run does not
wait for (it is fetched ahead of its time) but a run created through the API does. Each flow
run's start-up (the worker's pick-up, a fresh interpreter, the flow's imports) is reported on its
own, as is the rate limit. The logs of the last run stay in `var/bench/la-*/morning/`.

    .venv/bin/python -m bench.morning --pupils 10000 --schools 30
    .venv/bin/python -m bench.morning --pupils 10000 --schools 30 --rate 0   # no rate limit
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import la as bench_la
from bench import measure
from casework.core.calendar import RegisterSession
from casework.db.session import dispose_engines, get_engine
from casework.settings import Settings
from tests.support.loopback_process import (
    Loopback,
    LoopbackProcess,
    loopback_servers,
    settings_values,
)
from tests.support.prefect_server import (
    BIN,
    base_env,
    client_env,
    create_global_limit,
    create_process_pool,
    deploy,
    prefect_server,
    process_worker,
    run_command,
    start_run,
    wait_final,
)

TARGET_S = 60.0  # issue 24: 100,000 pupils
DEPLOYMENTS = ["daily-sweep-am", "dispatch"]
SMS_PROVIDER_LIMIT = "sms-provider"  # flows/dispatch.py; docs/orchestration.md step 3
MAX_DISPATCH_RUNS = 50
MORNING_MESSAGES = sa.text(
    "SELECT channel, status, count(*) AS n FROM messages WHERE created_at >= :since"
    " GROUP BY channel, status"
)
FIRST_DAY_TEXTS = sa.text(
    "SELECT id, status FROM messages WHERE channel = 'sms' AND stage = 'first_day_call'"
    " AND school_date = :day"
)


def write_marks(source: Path, out: Path, keep: Callable[[dict[str, str]], bool]) -> int:
    """Copy the marks rows of `source` that `keep` accepts into `out`; how many."""
    with source.open(newline="", encoding="utf-8") as f, out.open("w", newline="") as o:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(o, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        rows = [row for row in reader if keep(row)]
        writer.writerows(rows)
    return len(rows)


def settle_backlog(url: str) -> int:
    """Bench only: mark every queued message sent, as the days before the morning would have.

    The catch-up sweep is the year's first and queues every stage's messages at once; in
    service they went out day by day. Nothing is sent and no audit entry is written: the copy
    is dropped after the run. Returns how many rows it settled.
    """
    now = datetime.now(UTC)
    with get_engine(url).begin() as conn:
        done = conn.execute(
            sa.text(
                "UPDATE messages SET status = 'sent', provider = 'bench-backlog',"
                " updated_at = :now WHERE status = 'queued'"
            ),
            {"now": now},
        )
    return done.rowcount


def app_env(url: str, folder: Path, servers: Loopback, rate: float | None) -> dict[str, str]:
    """The worker's and the import's PATHWAY_* settings: production, on loopback providers."""
    values = settings_values(servers) | {
        "database_url": url,
        "var_dir": str(folder / "var"),
        # Empty quiet hours (start = end): family texts are held 21:00-08:00 London time.
        "sms_quiet_start": "00:00",
        "sms_quiet_end": "00:00",
    }
    if rate is not None:
        values["dispatch_rate_per_second"] = str(rate)
    return {f"PATHWAY_{name.upper()}": value for name, value in values.items()}


def _at(stamp: str | None) -> float:
    if stamp is None:
        raise RuntimeError("a finished flow run without a start or end time")
    return datetime.fromisoformat(stamp).timestamp()


@dataclass
class _Morning:
    """The running servers and worker, and what a timed step needs to reach them."""

    api: str
    app_url: str
    env: dict[str, str]
    worker: Any
    worker_log: Path
    loopback: LoopbackProcess

    def flow(self, deployment: str, parameters: Mapping[str, object]) -> dict[str, float]:
        """Create a run, wait until COMPLETED; seconds waited, start-up and run as Prefect saw."""
        asked = time.time()
        run_id = start_run(self.api, deployment, parameters)
        run = wait_final(self.api, run_id, self.worker, self.worker_log, poll_seconds=1.0)
        seen = time.time()
        if run["state"]["type"] != "COMPLETED":
            raise RuntimeError(f"{deployment}: {run['state']['type']}: {run['state']['message']}")
        started, ended = _at(run["start_time"]), _at(run["end_time"])
        return {
            "asked_at": asked,
            "waited_s": seen - asked,
            "start_up_s": started - _at(run["created"]),
            "run_s": ended - started,
        }

    def first_day_texts(self, day: date) -> dict[int, str]:
        with get_engine(self.app_url).connect() as conn:
            return {r.id: r.status for r in conn.execute(FIRST_DAY_TEXTS, {"day": day})}


def _import(morning: _Morning, am_marks: Path) -> dict[str, Any]:
    started = time.time()
    out = run_command([str(BIN / "pathway"), "import", "marks", str(am_marks)], morning.env)
    return {"s": time.time() - started, "summary": out.strip().splitlines()[0]}


def _dispatch_until_sent(morning: _Morning, day: date) -> list[dict[str, float]]:
    """Dispatch runs one after another until no first-day text is left queued."""
    runs: list[dict[str, float]] = []
    waiting = sum(s == "queued" for s in morning.first_day_texts(day).values())
    while waiting:
        if len(runs) == MAX_DISPATCH_RUNS:
            raise RuntimeError(f"{waiting} first-day texts still queued after {len(runs)} runs")
        runs.append(morning.flow("dispatch/dispatch", {}))
        left = sum(s == "queued" for s in morning.first_day_texts(day).values())
        if left == waiting:
            raise RuntimeError(f"a dispatch run sent none of the {left} queued first-day texts")
        waiting = left
    return runs


def _accepted_once(morning: _Morning, day: date) -> list[float]:
    """Every first-day text accepted by the Twilio server exactly once; when, in order."""
    texts = morning.first_day_texts(day)
    accepted = morning.loopback.accepted()
    wrong = {i: len(accepted.get(i, [])) for i in texts if len(accepted.get(i, [])) != 1}
    not_sent = {i: s for i, s in texts.items() if s != "sent"}
    if wrong or not_sent or not texts:
        raise RuntimeError(f"of {len(texts)} texts: accepted {wrong}; not sent {not_sent}")
    return sorted(accepted[i][0] for i in texts)


def _timed(morning: _Morning, day: date, am_marks: Path) -> dict[str, Any]:
    started = time.time()
    imported = _import(morning, am_marks)
    sweep = morning.flow(
        "daily-sweep/daily-sweep-am", {"school_date": day.isoformat(), "session": "AM"}
    )
    dispatches = _dispatch_until_sent(morning, day)
    accepted = _accepted_once(morning, day)
    last_at = accepted[-1]
    counts = morning.loopback.counts()
    with get_engine(morning.app_url).connect() as conn:
        queued = conn.execute(MORNING_MESSAGES, {"since": datetime.fromtimestamp(started, UTC)})
        by_channel = {f"{r.channel}_{r.status}": r.n for r in queued}
    return {
        "morning_e2e_s": round(last_at - started, 2),
        "import_s": round(imported["s"], 2),
        "import": imported["summary"],
        "sweep_flow_s": round(sweep["waited_s"], 2),
        "sweep_run_s": round(sweep["run_s"], 2),
        "texts_after_sweep_asked_s": round(last_at - sweep["asked_at"], 2),
        "first_text_s": round(accepted[0] - started, 2),
        "dispatch_runs": len(dispatches),
        "dispatch_run_s": [round(d["run_s"], 2) for d in dispatches],
        "flow_start_up_s": [round(f["start_up_s"], 2) for f in [sweep, *dispatches]],
        "texts": len(accepted),
        "texts_all": counts.texts,
        "emails": counts.emails,
        "morning_messages": by_channel,
    }


def measure_morning(
    app_url: str, day: date, am_marks: Path, folder: Path, rate: float | None = None
) -> dict[str, Any]:
    """Start the production shape around `app_url`, then time the morning of `day`.

    Args:
        app_url: the app database, already caught up to the session before `day`.
        am_marks: the day's AM marks, as the LA's export gives them.
        rate: texts and emails a second per process; None = as configured (production).
    """
    from tests.conftest import create_postgres_database, drop_postgres_database

    prefect_db = create_postgres_database()
    try:
        with ExitStack() as running:
            api = running.enter_context(prefect_server(folder, prefect_db))
            create_process_pool(api)
            create_global_limit(api, SMS_PROVIDER_LIMIT, 1)
            client = client_env(folder, api)
            deploy(client, DEPLOYMENTS)
            loopback = running.enter_context(loopback_servers(folder / "certs"))
            env = app_env(app_url, folder, loopback.servers, rate)
            log = folder / "worker.log"
            worker = running.enter_context(process_worker(api, client | env, log))
            cli = base_env(folder / "cli-home") | env
            morning = _Morning(api, app_url, cli, worker, log, loopback)
            result = _timed(morning, day, am_marks)
    finally:
        dispose_engines()
        drop_postgres_database(prefect_db)
    configured = Settings.model_fields["dispatch_rate_per_second"].default
    return result | {"rate_per_second": configured if rate is None else rate}


def _prepare(la: bench_la.BenchLA, url: str, folder: Path) -> tuple[date, Path, dict[str, Any]]:
    """Catch up to the session before the held-back day, settle the backlog, write the AM file."""
    am_marks = folder / "marks_am.csv"
    rows = write_marks(la.day_file, am_marks, lambda row: row["session"] == "AM")
    with am_marks.open(encoding="utf-8") as f:
        f.readline()
        day = date.fromisoformat(f.readline().split(",", 3)[2])
    days = measure.school_days(url)
    catch_up = measure.sweep(url, days[days.index(day) - 1], RegisterSession.PM)
    settled = settle_backlog(url)
    dispose_engines()
    return day, am_marks, {"am_rows": rows, "catch_up_s": catch_up["seconds"], "backlog": settled}


def run(la: bench_la.BenchLA, rate: float | None = None) -> dict[str, Any]:
    """The morning of the LA's held-back day on the production path; seconds and counts."""
    la.folder.mkdir(parents=True, exist_ok=True)
    bench_la.generate(la)
    bench_la.cached_postgres(la)
    bench_la.prepared(la, bench_la.PG_PREFIX + la.pg_name, "postgres_tallies")
    folder = la.folder / "morning"  # the logs of the last run stay here
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    url = bench_la.postgres_copy(la, "morning")
    try:
        day, am_marks, setup = _prepare(la, url, folder.resolve())
        result = measure_morning(url, day, am_marks, folder.resolve(), rate)
    finally:
        bench_la.drop_postgres_copy(la, "morning")
    return {"pupils": la.pupils, "schools": la.schools, "day": day.isoformat(), **setup, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--rate", type=float, help="texts a second per process (default: settings)")
    args = parser.parse_args()
    result = run(bench_la.BenchLA(args.pupils, args.schools), args.rate)
    print(json.dumps(result | {"target_s": TARGET_S}, indent=1))


if __name__ == "__main__":
    main()
