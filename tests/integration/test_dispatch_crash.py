"""Kill the dispatcher mid-batch (SIGKILL, a real subprocess) and restart it: each text once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Message
from notifications.dispatch import CHUNK
from notifications.messages import MessageStatus
from tests.support.outbox_data import MORNING, seed_family_messages
from tests.support.settings import FROM_NUMBER, loopback_settings
from tests.support.twilio_server import TwilioServer
from tests.support.webhook_server import WebhookServer, receipts_app

ROOT = Path(__file__).resolve().parents[2]
TEXTS = 200
STALL_AT = 150  # in the second claimed chunk: with "Twilio" when the dispatcher dies

pytestmark = pytest.mark.slow


def _worker(env: dict[str, str], now: str, stale_after: float) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.support.dispatch_worker", now, str(stale_after)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _environment(database_url: str, twilio: TwilioServer, public: str, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATHWAY_DATABASE_URL": database_url,
        "PATHWAY_VAR_DIR": str(var),
        "PATHWAY_SMS_PROVIDER": "twilio",
        "PATHWAY_TWILIO_ACCOUNT_SID": twilio.account_sid,
        "PATHWAY_TWILIO_AUTH_TOKEN": twilio.auth_token,
        "PATHWAY_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PATHWAY_TWILIO_BASE_URL": twilio.base_url,
        "PATHWAY_PUBLIC_BASE_URL": public,
        "PATHWAY_DISPATCH_RATE_PER_SECOND": "0",
    }


def _statuses(engine: Engine) -> dict[int, str]:
    with unit_of_work(engine) as session:
        return {m.id or 0: m.status for m in session.exec(select(Message))}


def test_sigkill_mid_batch_then_restart_sends_every_text_exactly_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The text caught in the crash window is reconciled, not resent; the rest go once."""
    ids = seed_family_messages(engine, TEXTS, "sms")
    with TwilioServer() as twilio, WebhookServer() as hook:
        settings_env = _environment(database_url, twilio, hook.base_url, tmp_path / "var")
        twilio.answer_after(0.005)  # a slow provider: the kill lands mid-batch
        stalled = twilio.stall_at(STALL_AT)
        first = _worker(settings_env, MORNING.isoformat(), 600)
        try:
            assert stalled.wait(180), "the dispatcher never reached the stalled text"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        twilio.release()
        assert first.returncode == -signal.SIGKILL

        after_kill = _statuses(engine)
        in_window = {i for i, status in after_kill.items() if status == MessageStatus.SENDING}
        stalled_sms = twilio.script.stalled_sms
        assert stalled_sms is not None
        crash_window_id = stalled_sms.message_id
        assert crash_window_id in in_window  # Twilio has it; our row never heard
        # The first chunk was finished and recorded before the second was claimed.
        assert CHUNK <= sum(s == MessageStatus.SENT for s in after_kill.values()) < TEXTS

        later = (MORNING + timedelta(hours=1)).isoformat()
        second = _worker(settings_env, later, 600)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err[-2000:]
        stats = json.loads(out.strip().splitlines()[-1])
        assert stats["stale"] == len(in_window)
        assert stats["reconciled"] == len(in_window)

        assert twilio.per_message() == dict.fromkeys(ids, 1)
        settings = loopback_settings(tmp_path, twilio=twilio, public_base_url=hook.base_url)
        hook.serve(receipts_app(engine, settings))
        assert set(twilio.post_callbacks()) == {204}

    assert set(_statuses(engine).values()) == {MessageStatus.DELIVERED}
    with unit_of_work(engine) as session:
        entries = list(session.exec(select(AuditEntry).where(AuditEntry.kind == "message.sent")))
        sent_ids = sorted(e.detail["message_id"] for e in entries)
        crash_row = session.get(Message, crash_window_id)
        assert crash_row is not None
    assert sent_ids == sorted(ids)  # one message.sent each, the reconciled one included
    assert crash_row.provider_ref == stalled_sms.sid
