"""A crashed run's leftovers are settled by the next dispatch, and outages are ridden out.

Deterministic versions of the soak's faults (`make soak`): a crash between claim and send, a
crash with Twilio holding a text we never heard about, and Twilio down for an hour and for
longer than the policy's retry horizon. Real loopback Twilio and SMTP servers, real databases.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.core.ladder.proposals import TaskKind
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import Message, Task
from notifications.dispatch import dispatch_due
from notifications.messages import MessageStatus
from notifications.outbox import claim_due, mark_handed
from notifications.providers import OutgoingSms
from notifications.sms_twilio import TwilioSms
from notifications.transitions import move
from tests.support.outbox_data import MORNING, seed_family_messages
from tests.support.settings import FROM_NUMBER, loopback_settings
from tests.support.smtp_server import SmtpSink
from tests.support.twilio_server import TwilioServer

S = MessageStatus
ROOT = Path(__file__).resolve().parents[2]
TEN_MINUTES = timedelta(minutes=10)


@pytest.fixture
def twilio() -> Iterator[TwilioServer]:
    with TwilioServer() as server:
        yield server


def _rows(engine: Engine) -> dict[int, Message]:
    with unit_of_work(engine) as session:
        return {m.id or 0: m for m in session.exec(select(Message).order_by(col(Message.id)))}


def _tasks(engine: Engine, kind: TaskKind) -> list[Task]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(Task).where(Task.kind == kind.value)))


class TestCrashRecovery:
    def test_emails_never_handed_to_the_relay_are_queued_again_and_sent_once(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Claimed-but-unsent emails go out on the next run; the one handed over is not resent."""
        ids = seed_family_messages(engine, 3, "email")
        claim_due(engine, MORNING, 3)  # the crashed run claimed all three ...
        mark_handed(engine, ids[0], MORNING)  # ... and was talking to the relay about the first
        with SmtpSink(tmp_path / "certs") as sink:
            settings = loopback_settings(tmp_path, smtp=sink)
            stats = dispatch_due(engine, settings, MORNING + timedelta(minutes=20), 10, TEN_MINUTES)
            received = [email.message["Message-ID"] for email in sink.received]
        assert (stats.recovery.requeued, stats.recovery.to_check, stats.sent) == (2, 1, 2)
        assert sorted(received) == sorted(
            f"<pathway-message-{i}@brookfield.example.org>" for i in ids[1:]
        )
        rows = _rows(engine)
        assert [rows[i].status for i in ids] == [S.UNKNOWN, S.SENT, S.SENT]
        assert [rows[i].attempts for i in ids] == [1, 1, 1]  # the crashed claim was no attempt

    def test_a_run_within_the_recovery_window_leaves_the_rows_of_a_live_run_alone(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """`sending` for less than recover-after may be another dispatcher's: untouched."""
        (message_id,) = seed_family_messages(engine, 1, "email")
        claim_due(engine, MORNING, 1)
        stats = dispatch_due(
            engine, loopback_settings(tmp_path), MORNING + timedelta(minutes=5), 10, TEN_MINUTES
        )
        assert (stats.recovery.requeued, stats.claimed) == (0, 0)
        assert _rows(engine)[message_id].status == S.SENDING

    def test_cli_asks_twilio_before_any_resend_and_prints_counts(
        self, engine: Engine, database_url: str, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """`pathway dispatch`: the text Twilio has is recorded sent, the other is sent once."""
        ids = seed_family_messages(engine, 2, "sms")
        claim_due(engine, MORNING, 2)
        settings = loopback_settings(tmp_path, twilio=twilio)
        first = _rows(engine)[ids[0]]
        TwilioSms(settings).send(OutgoingSms(ids[0], first.normalised_to, first.body))  # then died
        env = {
            **os.environ,
            "PATHWAY_DATABASE_URL": database_url,
            "PATHWAY_VAR_DIR": str(tmp_path / "var"),
            "PATHWAY_SMS_PROVIDER": "twilio",
            "PATHWAY_TWILIO_ACCOUNT_SID": twilio.account_sid,
            "PATHWAY_TWILIO_AUTH_TOKEN": twilio.auth_token,
            "PATHWAY_TWILIO_FROM_NUMBER": FROM_NUMBER,
            "PATHWAY_TWILIO_BASE_URL": twilio.base_url,
            "PATHWAY_DISPATCH_RATE_PER_SECOND": "0",
        }
        later = (MORNING + timedelta(hours=1)).isoformat()
        command = ["dispatch", "--recover-after", "600", "--now", later]
        done = subprocess.run(
            [str(Path(sys.executable).with_name("pathway")), *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "2 to check with the provider" in done.stdout
        assert "1 found at the provider" in done.stdout
        assert "1 not at the provider" in done.stdout
        assert "sent: 1," in done.stdout
        assert twilio.per_message() == dict.fromkeys(ids, 1)
        assert {m.status for m in _rows(engine).values()} == {S.SENT}


def _dispatch_through(
    engine: Engine, settings_dir: Path, twilio: TwilioServer, hours: float
) -> datetime:
    """Dispatch every 10 simulated minutes for `hours`; the time of the last run."""
    settings = loopback_settings(settings_dir, twilio=twilio)
    at = MORNING
    for _ in range(int(hours * 6)):
        dispatch_due(engine, settings, at)
        at += TEN_MINUTES
    return at


class TestOutages:
    def test_an_hour_long_twilio_outage_is_ridden_out_and_each_text_sent_once(
        self, engine: Engine, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """Nothing fails during the outage; once Twilio is back every text goes, once."""
        ids = seed_family_messages(engine, 3, "sms")
        twilio.go_down(503)
        _dispatch_through(engine, tmp_path, twilio, hours=1)
        assert {m.status for m in _rows(engine).values()} == {S.QUEUED}
        twilio.come_back()
        _dispatch_through(engine, tmp_path, twilio, hours=2)
        assert twilio.per_message() == dict.fromkeys(ids, 1)
        assert {m.status for m in _rows(engine).values()} == {S.SENT}

    def test_past_the_retry_horizon_the_family_is_emailed_instead(
        self, engine: Engine, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """72 hours of 503s: the text is a technical failure and the email fallback goes."""
        (text_id,) = seed_family_messages(engine, 1, "sms")
        twilio.go_down(503)
        settings = loopback_settings(tmp_path, twilio=twilio)
        at = MORNING
        while at <= MORNING + timedelta(hours=73):
            dispatch_due(engine, settings, at)
            at += timedelta(hours=1)
        rows = _rows(engine)
        assert rows[text_id].status == S.TECHNICAL_FAILURE
        (email,) = [m for m in rows.values() if m.channel == "email"]
        assert email.idempotency_key.endswith(":fallback:email")
        assert email.status == S.DELIVERED  # the file outbox's simulator receipt
        assert twilio.received == []

    def test_when_no_channel_is_left_the_school_office_gets_a_task(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A letter returned (address not known) leaves nothing: one task, never two."""
        (letter_id,) = seed_family_messages(engine, 1, "letter")
        dispatch_due(engine, loopback_settings(tmp_path), MORNING)
        for _ in range(2):  # a duplicate report of the return opens nothing more
            with unit_of_work(engine) as session:
                letter = session.get(Message, letter_id)
                assert letter is not None
                if letter.status == S.SENT:
                    drafts = move(session, letter, S.PERMANENT_FAILURE, MORNING, reason="returned")
                    append_entries(session, drafts, MORNING)
        (task,) = _tasks(engine, TaskKind.FAMILY_UNREACHABLE)
        assert (task.owner_role, task.context["message_id"]) == ("school_office", letter_id)
