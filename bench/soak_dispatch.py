"""The dispatcher under SIGKILL and through an outage, against the loopback Twilio and SMTP servers.

Family texts and emails are queued through the real `enqueue`; `pathway dispatch --now T` is
started again and again on a simulated clock (each run 11 minutes after the last, so whatever a
killed run left in `sending` is past `--recover-after`), and SIGKILLed right after the servers
have taken a random number of messages: often while Twilio holds a text it has not yet answered
(the crash window). Then Twilio and the relay go down for a simulated hour while dispatch keeps
running every ten minutes, and come back. Finally the run is drained and, 73 simulated hours
later, the timeouts run (an email handed to the relay at a kill and never confirmed is then
failed and its family sent a letter). Counted per outbox message: what the servers received,
what the trail says was sent, what was lost and what was duplicated.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bench.soak_kill import run_and_kill, run_to_end
from tests.support.outbox_data import seed_family_messages
from tests.support.settings import FROM_NUMBER
from tests.support.smtp_server import PASSWORD, USERNAME, SmtpSink
from tests.support.twilio_server import TwilioServer

STEP = timedelta(minutes=11)  # above the default recover-after (600 s)
OUTAGE = timedelta(hours=1)
_MESSAGE_ID = re.compile(rb"Message-ID: <pathway-message-(\d+)@", re.IGNORECASE)


@dataclass(frozen=True)
class DispatchSoak:
    queued: int  # family messages put in the outbox
    sent: int  # of those, recorded `message.sent` in the trail
    received: int  # of those, taken by the loopback Twilio server or relay
    lost: int  # never reached the family by any channel, or recorded sent but never received
    duplicated: int  # received more than once, or recorded sent more than once
    kills: int
    outage_minutes: int
    crash_window_emails: int  # handed to the relay at a kill, unconfirmed: family sent a letter


def dispatch_env(base: Mapping[str, str], twilio: TwilioServer, sink: SmtpSink) -> dict[str, str]:
    return {
        **base,
        "PATHWAY_SMS_PROVIDER": "twilio",
        "PATHWAY_TWILIO_ACCOUNT_SID": twilio.account_sid,
        "PATHWAY_TWILIO_AUTH_TOKEN": twilio.auth_token,
        "PATHWAY_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PATHWAY_TWILIO_BASE_URL": twilio.base_url,
        "PATHWAY_EMAIL_PROVIDER": "smtp",
        "PATHWAY_SMTP_HOST": "127.0.0.1",
        "PATHWAY_SMTP_PORT": str(sink.port),
        "PATHWAY_SMTP_USERNAME": USERNAME,
        "PATHWAY_SMTP_PASSWORD": PASSWORD,
        "PATHWAY_SMTP_CERT_BUNDLE": str(sink.cert_path),
        "PATHWAY_DISPATCH_RATE_PER_SECOND": "0",
    }


def seed(engine: Engine, texts: int, emails: int, at: datetime, start: int) -> int:
    """Queue texts and emails in interleaved batches (claims go by id); the next free number."""
    batches = 10
    for _ in range(batches):
        seed_family_messages(engine, texts // batches, "sms", now=at, start=start)
        start += texts // batches
        seed_family_messages(engine, emails // batches, "email", now=at, start=start)
        start += emails // batches
    return start


def received(twilio: TwilioServer, sink: SmtpSink) -> Counter[int]:
    """How many times each outbox message reached a loopback server."""
    got: Counter[int] = Counter(i for i in twilio.per_message().elements() if i is not None)
    for email in sink.received:
        found = _MESSAGE_ID.search(email.raw)
        if found:
            got[int(found.group(1))] += 1
    return got


def _arrivals(twilio: TwilioServer, sink: SmtpSink) -> int:
    return len(twilio.received) + len(sink.received)


def kill_dispatches(
    env: Mapping[str, str],
    servers: tuple[TwilioServer, SmtpSink],
    at: datetime,
    kills: int,
    rng: random.Random,
) -> tuple[int, datetime]:
    """Start and SIGKILL `pathway dispatch` until `kills` landed; (landed, the clock after)."""
    landed = 0
    for _ in range(kills * 3):  # bounded: a run that finished before its kill does not count
        if landed >= kills:
            break
        before, wanted = _arrivals(*servers), rng.randint(1, 60)

        def fire(before: int = before, wanted: int = wanted) -> bool:
            return _arrivals(*servers) - before >= wanted

        args = ["dispatch", "--now", at.isoformat()]
        landed += run_and_kill(args, env, fire, rng.uniform(3.0, 8.0), rng)
        at += STEP
    return landed, at


def ride_out_outage(
    env: Mapping[str, str], twilio: TwilioServer, sink: SmtpSink, at: datetime
) -> tuple[int, datetime]:
    """Both providers down for a simulated hour, dispatch every 10 minutes; minutes ridden out."""
    twilio.go_down(503)
    sink.fail_data(10**9)  # a counter: the relay answers 451 to every message
    end = at + OUTAGE
    while at <= end:
        run_to_end(["dispatch", "--now", at.isoformat()], env)
        at += timedelta(minutes=10)
    twilio.come_back()
    with sink.handler.lock:
        sink.handler.data_failures = 0
    return int(OUTAGE.total_seconds() // 60), at


def drain(env: Mapping[str, str], at: datetime, runs: int = 8) -> datetime:
    """Dispatch hourly until the backoffs have all come due; the clock after."""
    for _ in range(runs):
        run_to_end(["dispatch", "--now", at.isoformat()], env)
        at += timedelta(hours=1)
    return at


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.exec_driver_sql(
            "SELECT id, idempotency_key, channel, status, handed_at FROM messages ORDER BY id"
        )
        return [dict(row) for row in result.mappings()]


def _sent_entries(engine: Engine) -> Counter[int]:
    with engine.connect() as conn:
        details = conn.exec_driver_sql(
            "SELECT detail FROM audit_entries WHERE kind = 'message.sent'"
        ).scalars()
        return Counter(int(d["message_id"]) for d in details)


def tally(engine: Engine, got: Counter[int]) -> tuple[int, int, int, int, int, int]:
    """(queued, sent, received, lost, duplicated, crash-window emails) over family messages."""
    rows = _rows(engine)
    originals = [r for r in rows if ":fallback:" not in r["idempotency_key"]]
    reached_by_fallback = {
        r["idempotency_key"].split(":fallback:")[0]
        for r in rows
        if ":fallback:" in r["idempotency_key"] and r["status"] in ("sent", "delivered")
    }
    sent = _sent_entries(engine)
    ids = {r["id"] for r in originals}
    lost = crash_window = 0
    for row in originals:
        if got[row["id"]] == 0 and row["idempotency_key"] in reached_by_fallback:
            crash_window += row["channel"] == "email"
        elif got[row["id"]] == 0:
            lost += 1
    lost += sum(1 for i in ids if sent[i] and not got[i])  # the trail claims what never left
    duplicated = sum(n - 1 for i, n in got.items() if n > 1) + sum(
        n - 1 for i, n in sent.items() if n > 1
    )
    return (
        len(originals),
        sum(1 for i in ids if sent[i]),
        sum(1 for i in ids if got[i]),
        lost,
        (duplicated),
        crash_window,
    )


def _next_morning(at: datetime) -> datetime:
    """08:30 London (07:30 UTC in BST) the day after `at`: clear of quiet hours for texts."""
    return (at + timedelta(days=1)).replace(hour=7, minute=30, second=0, microsecond=0)


def soak_dispatch(
    engine: Engine, base_env: Mapping[str, str], start: datetime, kills: int, rng: random.Random
) -> DispatchSoak:
    """The whole dispatch soak on `engine`, its clock starting at `start` (a weekday 08:00)."""
    with TwilioServer() as twilio, SmtpSink(_certs(base_env)) as sink:
        env = dispatch_env(base_env, twilio, sink)
        twilio.answer_after(0.01)  # slow enough that a kill often finds a text unanswered
        number = seed(engine, texts=800, emails=200, at=start, start=0)
        landed, at = kill_dispatches(env, (twilio, sink), start, kills, rng)
        at = _next_morning(at)
        seed(engine, texts=100, emails=50, at=at, start=number)
        outage_minutes, at = ride_out_outage(env, twilio, sink, at)
        at = drain(env, at)
        drain(env, at + timedelta(hours=73), runs=2)  # timeouts, then the letters they queue
        counts = tally(engine, received(twilio, sink))
    queued, sent, got, lost, duplicated, crash_window = counts
    return DispatchSoak(queued, sent, got, lost, duplicated, landed, outage_minutes, crash_window)


def _certs(env: Mapping[str, str]) -> Path:
    return Path(env["PATHWAY_VAR_DIR"]) / "certs"
