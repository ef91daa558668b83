"""Delivery receipts: forward-only status changes, and Twilio's signed status callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Message
from casework.settings import Settings
from notifications.dispatch import dispatch_due
from notifications.messages import MessageStatus
from notifications.outbox import OutcomeKind, SendOutcome, claim_due, record_result, requeue_stale
from notifications.receipts import apply_receipt
from tests.support.outbox_data import MORNING, seed_family_messages
from tests.support.settings import loopback_settings
from tests.support.twilio_server import ReceivedSms, TwilioServer
from tests.support.webhook_server import WebhookServer, receipts_app

S = MessageStatus
Webhook = tuple[TwilioServer, Settings, httpx.Client]
LATER = MORNING + timedelta(minutes=1)


def _row(engine: Engine, message_id: int) -> Message:
    with unit_of_work(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def _kinds(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return [e.kind for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))]


def _sent(engine: Engine, reference: str = "SM1") -> int:
    (message_id,) = seed_family_messages(engine, 1, "sms")
    claim_due(engine, MORNING, 1)
    record_result(engine, message_id, SendOutcome(OutcomeKind.SENT, "twilio", reference), MORNING)
    return message_id


class TestApplyReceipt:
    def test_delivered_receipt_moves_sent_to_delivered_once(self, engine: Engine) -> None:
        """A duplicate of the same receipt is ignored and writes nothing."""
        message_id = _sent(engine)
        assert apply_receipt(engine, "twilio", "SM1", "delivered", LATER)
        assert not apply_receipt(engine, "twilio", "SM1", "delivered", LATER)
        assert _row(engine, message_id).status == S.DELIVERED
        assert _kinds(engine) == ["message.queued", "message.sent", "message.delivered"]

    def test_late_receipt_never_moves_a_row_backwards(self, engine: Engine) -> None:
        """`sent` arriving after `delivered` is logged and ignored."""
        message_id = _sent(engine)
        apply_receipt(engine, "twilio", "SM1", "delivered", LATER)
        assert not apply_receipt(engine, "twilio", "SM1", "sent", LATER)
        assert not apply_receipt(engine, "twilio", "SM1", "undelivered", LATER, "30003")
        assert _row(engine, message_id).status == S.DELIVERED

    def test_in_flight_statuses_and_unknown_references_change_nothing(self, engine: Engine) -> None:
        """`queued`/`sending` callbacks and receipts for no message of ours return False."""
        message_id = _sent(engine)
        assert not apply_receipt(engine, "twilio", "SM1", "sending", LATER)
        assert not apply_receipt(engine, "twilio", "SM-not-ours", "delivered", LATER)
        assert _row(engine, message_id).status == S.SENT

    @pytest.mark.parametrize(
        ("twilio_status", "code", "expected"),
        [
            ("undelivered", "30003", S.TEMPORARY_FAILURE),
            ("undelivered", "30005", S.PERMANENT_FAILURE),
            ("failed", "30002", S.TECHNICAL_FAILURE),
        ],
    )
    def test_failure_receipts_use_the_error_code(
        self, engine: Engine, twilio_status: str, code: str, expected: MessageStatus
    ) -> None:
        """Twilio's ErrorCode decides which failure it is; the audit entry keeps the code."""
        message_id = _sent(engine)
        assert apply_receipt(engine, "twilio", "SM1", twilio_status, LATER, code)
        assert _row(engine, message_id).status == expected
        with unit_of_work(engine) as session:
            failed = session.exec(
                select(AuditEntry).where(AuditEntry.kind == "message.failed")
            ).one()
        assert failed.detail["error_code"] == code

    def test_receipt_settles_a_message_left_in_the_crash_window(self, engine: Engine) -> None:
        """A stale `unknown` row is found by our message id and gets `sent` then `delivered`."""
        (message_id,) = seed_family_messages(engine, 1, "sms")
        claim_due(engine, MORNING, 1)  # ... and the dispatcher died before recording anything
        requeue_stale(engine, MORNING + timedelta(minutes=15), timedelta(minutes=10))
        assert _row(engine, message_id).status == S.UNKNOWN
        assert apply_receipt(engine, "twilio", "SM77", "delivered", LATER, message_id=message_id)
        row = _row(engine, message_id)
        assert (row.status, row.provider_ref) == (S.DELIVERED, "SM77")
        assert _kinds(engine)[-2:] == ["message.sent", "message.delivered"]

    def test_receipt_with_another_reference_for_our_id_is_refused(self, engine: Engine) -> None:
        """A message id paired with a SID that is not the row's changes nothing."""
        message_id = _sent(engine, "SM1")
        assert not apply_receipt(engine, "twilio", "SM2", "delivered", LATER, message_id=message_id)
        assert _row(engine, message_id).status == S.SENT


@pytest.fixture
def webhook(engine: Engine, tmp_path: Path) -> Iterator[Webhook]:
    """The receipts app on uvicorn; Twilio would call it as https://pathway.example.org."""
    with TwilioServer() as twilio, WebhookServer() as hook:
        settings = loopback_settings(tmp_path, twilio=twilio)
        hook.serve(receipts_app(engine, settings))
        with httpx.Client(base_url=hook.base_url) as client:
            yield twilio, settings, client


class TestTwilioWebhook:
    def test_forged_or_missing_signature_is_403_and_changes_nothing(
        self, engine: Engine, webhook: Webhook
    ) -> None:
        """The signature is checked before anything is read or written."""
        _twilio, settings, client = webhook
        message_id = _sent(engine, "SM1")
        form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
        path = f"/webhooks/twilio/status?message_id={message_id}"
        assert client.post(path, data=form).status_code == 403
        forged = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
        assert client.post(path, data=form, headers=forged).status_code == 403
        # Signed by someone who does not hold our auth token:
        other = TwilioServer(auth_token="someone-elses-token")
        bad = other.sign(_received(settings.public_base_url + path), {"MessageStatus": "delivered"})
        headers = {"X-Twilio-Signature": bad.signature}
        assert client.post(path, data=bad.params, headers=headers).status_code == 403
        assert _row(engine, message_id).status == S.SENT
        assert "message.delivered" not in _kinds(engine)

    def test_signature_is_checked_against_the_public_url_not_the_proxy_url(
        self, engine: Engine, webhook: Webhook
    ) -> None:
        """Signed for the public URL: accepted though the app itself is reached on loopback."""
        twilio, settings, client = webhook
        message_id = _sent(engine, "SM1")
        path = f"/webhooks/twilio/status?message_id={message_id}"
        loopback = twilio.sign(
            _received(str(client.base_url).rstrip("/") + path), {"MessageStatus": "delivered"}
        )
        headers = {"X-Twilio-Signature": loopback.signature}
        assert client.post(path, data=loopback.params, headers=headers).status_code == 403
        good = twilio.sign(
            _received(settings.public_base_url + path), {"MessageStatus": "delivered"}
        )
        headers = {"X-Twilio-Signature": good.signature}
        tampered = {**good.params, "MessageStatus": "undelivered", "ErrorCode": "30005"}
        assert client.post(path, data=tampered, headers=headers).status_code == 403
        assert _row(engine, message_id).status == S.SENT
        assert client.post(path, data=good.params, headers=headers).status_code == 204
        assert _row(engine, message_id).status == S.DELIVERED

    def test_callbacks_over_http_deliver_what_dispatch_sent(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Dispatch to the loopback Twilio, which posts signed callbacks to the real webhook."""
        ids = seed_family_messages(engine, 6, "sms")  # simulator numbers 000-005: delivered
        with TwilioServer() as twilio, WebhookServer() as hook:
            settings = loopback_settings(tmp_path, twilio=twilio, public_base_url=hook.base_url)
            hook.serve(receipts_app(engine, settings))
            assert dispatch_due(engine, settings, MORNING).sent == 6
            assert set(twilio.post_callbacks()) == {204}
            assert set(twilio.post_callbacks()) == {204}  # Twilio retries: harmless
        with unit_of_work(engine) as session:
            rows = list(session.exec(select(Message)))
            delivered = session.exec(
                select(AuditEntry).where(AuditEntry.kind == "message.delivered")
            )
            assert len(list(delivered)) == 6
        assert {m.status for m in rows} == {S.DELIVERED}
        assert sorted(m.id or 0 for m in rows) == sorted(ids)


def _received(callback_url: str) -> ReceivedSms:
    """The server's record of text SM1 whose status callback is `callback_url`."""
    return ReceivedSms("SM1", "+447700900000", "+447700900999", "x", callback_url, MORNING)
