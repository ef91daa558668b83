"""The real `twilio` client against the loopback Twilio-speaking server, and dispatch through it."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Message
from notifications.dispatch import dispatch_due
from notifications.messages import MessageStatus
from notifications.outbox import claim_due, requeue_stale
from notifications.providers import (
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    SendError,
    UncertainSendError,
)
from notifications.sms_twilio import TwilioSms
from tests.support.outbox_data import MORNING, seed_family_messages
from tests.support.settings import FROM_NUMBER, loopback_settings
from tests.support.twilio_server import TwilioServer

S = MessageStatus


@pytest.fixture
def twilio() -> Iterator[TwilioServer]:
    with TwilioServer() as server:
        yield server


class TestTwilioProvider:
    def test_send_posts_the_text_with_auth_and_a_status_callback(
        self, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """What the server receives is our text, to the number, from our sender, with a callback."""
        provider = TwilioSms(loopback_settings(tmp_path, twilio=twilio))
        receipt = provider.send(OutgoingSms(42, "+447700900001", "Robin is not in school."))
        (sms,) = twilio.received
        assert receipt.reference == sms.sid
        assert receipt.provider == "twilio"
        assert (sms.to, sms.from_, sms.body) == (
            "+447700900001",
            FROM_NUMBER,
            "Robin is not in school.",
        )
        callback = urlsplit(sms.status_callback)
        assert callback.netloc == "pathway.example.org"
        assert callback.path == "/webhooks/twilio/status"
        assert parse_qs(callback.query) == {"message_id": ["42"]}

    def test_wrong_auth_token_is_retryable_not_the_familys_fault(
        self, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """A 401 (20003) is our configuration: retry later, never a permanent failure."""
        settings = loopback_settings(tmp_path, twilio=twilio, twilio_auth_token="wrong")
        with pytest.raises(RetryableSendError) as caught:
            TwilioSms(settings).send(OutgoingSms(1, "+447700900001", "x"))
        assert caught.value.code == "20003"
        assert twilio.received == []

    @pytest.mark.parametrize(
        ("status", "code", "error"),
        [
            (400, 21211, PermanentSendError),
            (400, 21610, PermanentSendError),
            (400, 21614, PermanentSendError),
            (429, 20429, RetryableSendError),
            (503, None, RetryableSendError),
            (500, None, RetryableSendError),
        ],
    )
    def test_error_answers_map_onto_the_send_error_tree(
        self,
        twilio: TwilioServer,
        tmp_path: Path,
        status: int,
        code: int | None,
        error: type[SendError],
    ) -> None:
        """Invalid or unsubscribed numbers are permanent; throttling and 5xx are retryable."""
        if status == 400:
            assert code is not None
            twilio.reject("+447700900001", code)
        else:
            twilio.fail_next(1, status=status, code=code)
        with pytest.raises(error):
            TwilioSms(loopback_settings(tmp_path, twilio=twilio)).send(
                OutgoingSms(1, "+447700900001", "x")
            )

    def test_read_timeout_after_sending_is_uncertain(
        self, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """Twilio may have the text when the answer never came: not retryable, uncertain."""
        twilio.answer_after(1.5)
        settings = loopback_settings(tmp_path, twilio=twilio, provider_timeout_seconds=0.3)
        with pytest.raises(UncertainSendError):
            TwilioSms(settings).send(OutgoingSms(7, "+447700900001", "x"))
        assert twilio.per_message() == {7: 1}

    def test_refused_connection_is_retryable(self, tmp_path: Path) -> None:
        """Nothing listening: the text cannot have gone, so retrying is safe."""
        with TwilioServer() as gone:
            settings = loopback_settings(tmp_path, twilio=gone)
        with pytest.raises(RetryableSendError):
            TwilioSms(settings).send(OutgoingSms(1, "+447700900001", "x"))

    def test_find_accepted_reads_twilios_ledger(self, twilio: TwilioServer, tmp_path: Path) -> None:
        """The reconciliation check finds a text Twilio holds, and not one it does not."""
        provider = TwilioSms(loopback_settings(tmp_path, twilio=twilio))
        sent = OutgoingSms(5, "+447700900005", "Text five")
        receipt = provider.send(sent)
        found = provider.find_accepted(sent, since=MORNING)
        assert found is not None
        assert found.reference == receipt.reference
        assert provider.find_accepted(OutgoingSms(6, "+447700900005", "Other"), MORNING) is None

    def test_basic_auth_header_is_what_twilio_expects(self, twilio: TwilioServer) -> None:
        """The server's own check matches the SDK's header format (guards the fake itself)."""
        token = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
        assert twilio._authorised(f"Basic {token}")
        assert not twilio._authorised(None)


class TestDispatchThroughTwilio:
    def test_outage_then_recovery_delivers_every_text_exactly_once(
        self, engine: Engine, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """5xx and 429 for a while: retried with backoff, then each text arrives once."""
        ids = seed_family_messages(engine, 20, "sms")
        twilio.fail_next(12, status=503)
        twilio.fail_next(8, status=429, code=20429)
        settings = loopback_settings(tmp_path, twilio=twilio)
        first = dispatch_due(engine, settings, MORNING)
        assert (first.claimed, first.retried, first.sent) == (20, 20, 0)
        assert dispatch_due(engine, settings, MORNING + timedelta(seconds=10)).claimed == 0
        second = dispatch_due(engine, settings, MORNING + timedelta(seconds=31))
        assert (second.claimed, second.sent) == (20, 20)
        assert twilio.per_message() == dict.fromkeys(ids, 1)
        with unit_of_work(engine) as session:
            rows = list(session.exec(select(Message)))
            sent_entries = session.exec(select(AuditEntry).where(AuditEntry.kind == "message.sent"))
            assert len(list(sent_entries)) == 20
        assert {(m.status, m.attempts) for m in rows} == {(S.SENT, 2)}

    def test_attempts_run_out_into_technical_failure(
        self, engine: Engine, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """A provider down for longer than the attempts allow ends in technical_failure."""
        (message_id,) = seed_family_messages(engine, 1, "sms")
        twilio.fail_next(10, status=500)
        settings = loopback_settings(tmp_path, twilio=twilio, dispatch_max_attempts=3)
        at = MORNING
        for _ in range(3):
            dispatch_due(engine, settings, at)
            at += timedelta(hours=1)
        with unit_of_work(engine) as session:
            message = session.get(Message, message_id)
            assert message is not None
            assert (message.status, message.attempts) == (S.TECHNICAL_FAILURE, 3)
        assert twilio.received == []

    def test_rejected_number_fails_permanently_and_emails_the_family(
        self, engine: Engine, twilio: TwilioServer, tmp_path: Path
    ) -> None:
        """21211 from Twilio: the text fails for good and an email goes to the same parent."""
        (message_id,) = seed_family_messages(engine, 1, "sms", mobile="+447700900123")
        twilio.reject("+447700900123", 21211)
        settings = loopback_settings(tmp_path, twilio=twilio)
        stats = dispatch_due(engine, settings, MORNING)
        assert (stats.failed, stats.sent) == (1, 1)  # the fallback email went in the same run
        with unit_of_work(engine) as session:
            rows = {m.channel: m for m in session.exec(select(Message))}
        assert rows["sms"].status == S.PERMANENT_FAILURE
        assert rows["sms"].id == message_id
        assert rows["email"].idempotency_key == rows["sms"].idempotency_key + ":fallback:email"
        assert (tmp_path / "outbox" / f"{rows['email'].id}-email.eml").exists()


def test_logs_carry_ids_never_numbers_or_text(
    engine: Engine, twilio: TwilioServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A run with failures, a fallback and a reconciliation logs no phone, address or text."""
    caplog.set_level(logging.INFO)
    ids = seed_family_messages(engine, 3, "sms", mobile="+447700900321")
    twilio.reject("+447700900321", 21211)
    claim_due(engine, MORNING, 1)  # one text left in the crash window ...
    later = MORNING + timedelta(minutes=20)
    requeue_stale(engine, later, timedelta(minutes=10))
    dispatch_due(engine, loopback_settings(tmp_path, twilio=twilio), later)
    with unit_of_work(engine) as session:
        rows = list(session.exec(select(Message)))
    assert len(rows) == 6  # three texts failed for good, three fallback emails
    logged_ids = {getattr(r, "message_id", None) for r in caplog.records}
    assert logged_ids >= set(ids)  # what is logged is the message id
    for row in rows:
        assert row.normalised_to not in caplog.text
        assert row.body[:40] not in caplog.text
    assert "Robin" not in caplog.text
