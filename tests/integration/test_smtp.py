"""Email over a real SMTP conversation: aiosmtpd on loopback with STARTTLS, AUTH, our own cert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Message
from notifications.dispatch import dispatch_due
from notifications.email_smtp import SmtpEmail
from notifications.messages import MessageStatus
from notifications.providers import OutgoingEmail, PermanentSendError, RetryableSendError
from tests.support.outbox_data import MORNING, seed_family_messages
from tests.support.settings import loopback_settings
from tests.support.smtp_server import USERNAME, SmtpSink

S = MessageStatus
EMAIL = OutgoingEmail(
    message_id=314,
    to="parent@simulator.invalid",
    subject="Robin is not in school this morning",
    text="Dear Sam,\n\nRobin is not in school this morning.",
    html="<p>Dear Sam,</p><p>Robin is not in school this morning.</p>",
)


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path / "certs") as server:
        yield server


def _provider(tmp_path: Path, sink: SmtpSink, **overrides: Any) -> SmtpEmail:
    return SmtpEmail(loopback_settings(tmp_path, smtp=sink, **overrides))


class TestSmtpProvider:
    def test_email_arrives_over_starttls_and_auth_as_built(
        self, tmp_path: Path, sink: SmtpSink
    ) -> None:
        """The relay sees TLS, our login, our sender, and both parts of the message."""
        provider = _provider(tmp_path, sink)
        try:
            receipt = provider.send(EMAIL)
        finally:
            provider.close()
        (got,) = sink.received
        assert got.was_tls
        assert got.authenticated_as == USERNAME
        assert got.mail_from == "attendance@brookfield.example.org"
        assert got.rcpt_tos == ("parent@simulator.invalid",)
        msg = got.message
        assert msg["Subject"] == EMAIL.subject
        assert msg["To"] == EMAIL.to
        assert msg["Message-ID"] == "<pathway-message-314@brookfield.example.org>"
        assert receipt.reference == msg["Message-ID"]
        assert _part(msg, "plain").strip() == EMAIL.text
        assert _part(msg, "html").strip() == EMAIL.html

    def test_wrong_password_is_retryable(self, tmp_path: Path, sink: SmtpSink) -> None:
        """535 from the relay is our configuration, not the family's address."""
        provider = _provider(tmp_path, sink, smtp_password="not-the-password")
        with pytest.raises(RetryableSendError):
            provider.send(EMAIL)
        provider.close()
        assert sink.received == []

    def test_untrusted_certificate_is_refused(self, tmp_path: Path, sink: SmtpSink) -> None:
        """Without the relay's CA the STARTTLS handshake fails: nothing goes in plaintext."""
        provider = _provider(tmp_path, sink, smtp_cert_bundle="")
        with pytest.raises(RetryableSendError):
            provider.send(EMAIL)
        provider.close()
        assert sink.received == []

    def test_recipient_refused_with_5xx_is_permanent_and_4xx_retryable(
        self, tmp_path: Path, sink: SmtpSink
    ) -> None:
        """RFC 5321: 550 never works for this address; 450 may work later."""
        sink.refuse("gone@simulator.invalid", 550)
        sink.refuse("busy@simulator.invalid", 450)
        provider = _provider(tmp_path, sink)
        try:
            with pytest.raises(PermanentSendError) as permanent:
                provider.send(OutgoingEmail(1, "gone@simulator.invalid", "s", "t"))
            with pytest.raises(RetryableSendError):
                provider.send(OutgoingEmail(2, "busy@simulator.invalid", "s", "t"))
            provider.send(OutgoingEmail(3, "fine@simulator.invalid", "s", "t"))
        finally:
            provider.close()
        assert permanent.value.code == "550"
        assert [r.rcpt_tos for r in sink.received] == [("fine@simulator.invalid",)]


class TestDispatchThroughSmtp:
    @pytest.mark.parametrize("workers", [1, 4])
    def test_a_batch_reuses_one_connection_per_worker(
        self, engine: Engine, tmp_path: Path, sink: SmtpSink, workers: int
    ) -> None:
        """Forty emails over at most one SMTP session per worker, each once, each row `sent`."""
        ids = seed_family_messages(engine, 40, "email")
        settings = loopback_settings(tmp_path, smtp=sink, dispatch_concurrency=workers)
        stats = dispatch_due(engine, settings, MORNING)
        assert (stats.claimed, stats.sent) == (40, 40)
        received = sink.received
        assert 1 <= len({r.peer for r in received}) <= workers
        message_ids = sorted(r.message["Message-ID"] for r in received)
        assert message_ids == sorted(f"<pathway-message-{i}@brookfield.example.org>" for i in ids)
        with unit_of_work(engine) as session:
            rows = list(session.exec(select(Message)))
        assert {(m.status, m.provider) for m in rows} == {(S.SENT, "smtp")}
        first = next(r.message for r in received if r.message["To"] == rows[0].normalised_to)
        assert first["Subject"] == rows[0].subject
        assert _part(first, "plain").strip() == rows[0].body
        assert "<p>" in _part(first, "html")

    def test_relay_451_then_recovers_without_duplicates(
        self, engine: Engine, tmp_path: Path, sink: SmtpSink
    ) -> None:
        """A temporary refusal of DATA is retried after the backoff; none arrive twice."""
        ids = seed_family_messages(engine, 5, "email")
        sink.fail_data(3)
        settings = loopback_settings(tmp_path, smtp=sink)
        first = dispatch_due(engine, settings, MORNING)
        assert (first.sent, first.retried) == (2, 3)
        second = dispatch_due(engine, settings, MORNING + timedelta(minutes=1))
        assert second.sent == 3
        assert sorted(r.message["Message-ID"] for r in sink.received) == sorted(
            f"<pathway-message-{i}@brookfield.example.org>" for i in ids
        )
        with unit_of_work(engine) as session:
            sent = session.exec(select(AuditEntry).where(AuditEntry.kind == "message.sent"))
            assert len(list(sent)) == 5
