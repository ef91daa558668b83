"""Dispatch throughput: messages a second to the loopback Twilio server and the loopback SMTP relay.

The real pipeline end to end: rows queued through `enqueue`, then `dispatch_due` claims them,
calls the real `twilio` client (against tests.support.twilio_server over HTTP) or aiosmtplib
(against an aiosmtpd relay with STARTTLS and AUTH), and commits each outcome with its audit
entry. Both servers run in a child process, as a remote provider would, and count what they
got. The rate limit is off so the number is what the pipeline itself can do; production runs
at `dispatch_rate_per_second`. Target: at least 200 messages a second each.

    .venv/bin/python -m bench.dispatch                    # SQLite in a temporary folder
    .venv/bin/python -m bench.dispatch --postgres         # a fresh database on 127.0.0.1:5432
    .venv/bin/python -m bench.dispatch --messages 2000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from casework.db.migrate import upgrade
from casework.db.session import dispose_engines, get_engine
from casework.settings import Settings
from notifications.dispatch import dispatch_due
from tests.support.loopback_process import Loopback, loopback_servers, settings_values
from tests.support.outbox_data import MORNING, seed_family_messages


def _throughput(engine: Engine, settings: Settings, channel: str, count: int, start: int) -> float:
    seed_family_messages(engine, count, channel, start=start)
    began, cpu = time.perf_counter(), time.process_time()
    sent = 0
    while (stats := dispatch_due(engine, settings, MORNING, limit=count)).claimed:
        sent += stats.sent
    elapsed = time.perf_counter() - began
    print(f"  ({channel}: {1000 * (time.process_time() - cpu) / count:.1f} ms of CPU a message)")
    if sent != count:
        raise RuntimeError(f"{channel}: {sent} of {count} sent")
    return count / elapsed


def _settings(folder: Path, servers: Loopback, concurrency: int) -> Settings:
    values = {"var_dir": folder, "dispatch_rate_per_second": 0, "dispatch_concurrency": concurrency}
    return Settings.model_validate(settings_values(servers) | values)


def _measure(url: str, folder: Path, messages: int, concurrency: int) -> dict[str, float]:
    upgrade(url)
    engine = get_engine(url)
    with loopback_servers(folder / "certs") as child:
        settings = _settings(folder, child.servers, concurrency)
        sms = _throughput(engine, settings, "sms", messages, start=0)
        email = _throughput(engine, settings, "email", messages, start=messages)
        got = child.counts()
    print(f"  (the loopback servers used {got.server_cpu_seconds:.1f} s of CPU)")
    if (got.texts, got.texts_most_per_message, got.emails) != (messages, 1, messages):
        raise RuntimeError(f"the loopback servers did not get each message exactly once: {got}")
    return {"messages": float(messages), "sms_per_second": sms, "email_per_second": email}


def run(messages: int = 1000, postgres: bool = False, concurrency: int = 8) -> dict[str, float]:
    """Queue and dispatch `messages` texts, then as many emails; messages a second for each."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not postgres:
            return _measure(f"sqlite:///{folder / 'bench.db'}", folder, messages, concurrency)
        from tests.conftest import create_postgres_database, drop_postgres_database

        url = create_postgres_database()
        try:
            return _measure(url, folder, messages, concurrency)
        finally:
            dispose_engines()
            drop_postgres_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    result = run(args.messages, args.postgres, args.concurrency)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"dispatch, {int(result['messages'])} messages each, {backend}, {args.concurrency} workers:"
    )
    print(f"  SMS   -> loopback Twilio: {result['sms_per_second']:7.1f} messages/s")
    print(f"  email -> loopback SMTP:   {result['email_per_second']:7.1f} messages/s")


if __name__ == "__main__":
    main()
