"""Twilio SMS provider: the real `twilio` client, its status and error-code maps.

The SDK has no base-URL option, so `RedirectingHttpClient` rewrites each request onto
`settings.twilio_base_url` when it is set (STACK.md §6.1); that is how tests and the bench reach
the loopback Twilio-speaking server with the unmodified library. Retries stay off inside the SDK:
a POST that timed out after Twilio accepted it must not be sent again, so the outbox owns retries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from casework.settings import Settings
from notifications.messages import MessageStatus
from notifications.providers import (
    OutgoingSms,
    PermanentSendError,
    ProviderReceipt,
    RetryableSendError,
    SendError,
    UncertainSendError,
)

PROVIDER = "twilio"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"

# The SDK logs every request at INFO, query included: a ledger lookup's `To` is a family's
# phone number, and personal data stays out of logs.
_SDK_LOG = logging.getLogger("notifications.twilio_http")
_SDK_LOG.setLevel(logging.WARNING)

# Twilio MessageStatus -> ours; None = still on its way, nothing to record (Notify's
# twilio_response_map, with "undelivered" refined by the error code below).
STATUS_MAP: Mapping[str, MessageStatus | None] = MappingProxyType(
    {
        "accepted": None,
        "scheduled": None,
        "queued": None,
        "sending": None,
        "sent": MessageStatus.SENT,
        "delivered": MessageStatus.DELIVERED,
        "read": MessageStatus.DELIVERED,
        "undelivered": MessageStatus.PERMANENT_FAILURE,
        "failed": MessageStatus.TECHNICAL_FAILURE,
        "canceled": MessageStatus.TECHNICAL_FAILURE,
    }
)

# Delivery error codes (twilio.com/docs/api/errors) that say more than the status does.
ERROR_CODE_MAP: Mapping[str, MessageStatus] = MappingProxyType(
    {
        "30001": MessageStatus.TECHNICAL_FAILURE,  # queue overflow
        "30002": MessageStatus.TECHNICAL_FAILURE,  # account suspended
        "30003": MessageStatus.TEMPORARY_FAILURE,  # unreachable handset (off, no signal)
        "30004": MessageStatus.PERMANENT_FAILURE,  # message blocked by the recipient
        "30005": MessageStatus.PERMANENT_FAILURE,  # unknown destination handset
        "30006": MessageStatus.PERMANENT_FAILURE,  # landline or unreachable carrier
        "30007": MessageStatus.PERMANENT_FAILURE,  # filtered by the carrier
        "30008": MessageStatus.TEMPORARY_FAILURE,  # unknown error
        "30010": MessageStatus.TECHNICAL_FAILURE,  # price exceeds max price
        "21610": MessageStatus.PERMANENT_FAILURE,  # recipient replied STOP
    }
)

# Error codes on POST Messages; anything else 4xx is permanent, 429 and 5xx retryable.
SEND_ERROR_MAP: Mapping[int, type[SendError]] = MappingProxyType(
    {
        20003: RetryableSendError,  # authentication: our configuration, not the family's number
        20429: RetryableSendError,  # too many concurrent requests
        21211: PermanentSendError,  # invalid 'To' number
        21214: PermanentSendError,  # 'To' number cannot be reached
        21408: PermanentSendError,  # no permission to send to that region
        21610: PermanentSendError,  # recipient unsubscribed (STOP)
        21612: PermanentSendError,  # cannot route to this number
        21614: PermanentSendError,  # not a mobile number
    }
)


def status_for(twilio_status: str, error_code: str | None = None) -> MessageStatus | None:
    """Our status for a Twilio status callback, refined by its ErrorCode."""
    mapped = STATUS_MAP.get(twilio_status)
    if mapped is None or mapped in (MessageStatus.SENT, MessageStatus.DELIVERED):
        return mapped
    return ERROR_CODE_MAP.get(error_code or "", mapped)


def classify_rest_error(exc: TwilioRestException) -> SendError:
    """The SendError for an error answer to POST Messages."""
    code = str(exc.code) if exc.code is not None else None
    reason = f"twilio HTTP {exc.status}" + (f" code {code}" if code else "")
    error_type = SEND_ERROR_MAP.get(exc.code or 0)
    if error_type is None:
        retryable = exc.status == 429 or exc.status >= 500
        error_type = RetryableSendError if retryable else PermanentSendError
    return error_type(reason, code)


def classify_transport_error(exc: requests.RequestException) -> SendError:
    """Connect failures never reached Twilio; anything later may have been accepted."""
    if isinstance(exc, requests.ConnectTimeout):
        return RetryableSendError("twilio connect timeout")
    if isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc):
        return RetryableSendError("twilio connection refused")
    return UncertainSendError(f"twilio {type(exc).__name__} after sending")


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """The SDK's own HTTP client with every request moved onto another base URL."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return super().request(method, f"{self.base_url}{parts.path}{query}", *args, **kwargs)


def build_client(settings: Settings) -> Client:
    """A Twilio client from settings: SDK retries off, loopback base URL when configured."""
    options: dict[str, Any] = {
        "timeout": settings.provider_timeout_seconds,
        "max_retries": 0,
        "logger": _SDK_LOG,
    }
    http_client = (
        RedirectingHttpClient(settings.twilio_base_url, **options)
        if settings.twilio_base_url
        else TwilioHttpClient(**options)
    )
    token = settings.twilio_auth_token.get_secret_value()
    return Client(settings.twilio_account_sid, token, http_client=http_client)


def status_callback_url(public_base_url: str, message_id: int) -> str:
    """Where Twilio posts receipts; the message id lets a receipt settle the crash window."""
    return f"{public_base_url.rstrip('/')}{STATUS_CALLBACK_PATH}?message_id={message_id}"


class TwilioSms:
    """SmsProvider and SmsLedger over the Twilio Messages API."""

    name = PROVIDER

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self.client = client or build_client(settings)
        self.from_number = settings.twilio_from_number
        self.public_base_url = settings.public_base_url

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        try:
            created = self.client.messages.create(
                to=sms.to,
                from_=self.from_number,
                body=sms.body,
                status_callback=status_callback_url(self.public_base_url, sms.message_id),
            )
        except TwilioRestException as exc:
            raise classify_rest_error(exc) from exc
        except requests.RequestException as exc:
            raise classify_transport_error(exc) from exc
        return ProviderReceipt(provider=PROVIDER, reference=str(created.sid))

    def find_accepted(self, sms: OutgoingSms, since: datetime) -> ProviderReceipt | None:
        """Twilio's record of this text to this number since `since`, if it has one."""
        # Twilio keeps no reference of ours, so match on recipient, text and time: the texts
        # name the pupil and the date, so two equal ones to one number in the window are one.
        earliest = since - timedelta(minutes=5)
        for record in self.client.messages.list(to=sms.to, limit=50):
            created = record.date_created
            if record.body == sms.body and (created is None or created >= earliest):
                return ProviderReceipt(provider=PROVIDER, reference=str(record.sid))
        return None
