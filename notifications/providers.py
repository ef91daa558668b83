"""Provider interfaces: what dispatch hands a provider, what it gets back, and what can go wrong.

Each provider is a small Protocol (httpx's `BaseTransport` habit) so the dispatcher never knows
whether a message went to Twilio, an SMTP relay or the file outbox. The error tree::

    SendError
    ├── RetryableSendError   connect failure, 429, 5xx, SMTP 4xx   -> back off, stay queued
    ├── PermanentSendError   invalid number, unsubscribed, SMTP 5xx -> permanent_failure
    └── UncertainSendError   the request went out but no answer came back (read timeout,
                             connection dropped mid-reply)          -> unknown, reconcile later

Why the third branch: a timeout after the provider accepted is the duplicate-SMS trap. Retrying
it blindly would send twice (STACK.md §6.1), so it goes to `unknown` and is settled by a receipt
or a reconciliation check (docs/decisions/0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notifications.messages import MessageStatus


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    message_id: int
    to: str  # E.164
    body: str


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    message_id: int
    to: str
    subject: str
    text: str
    html: str = ""


@dataclass(frozen=True, slots=True)
class ProviderReceipt:
    """The provider accepted the message.

    `settled` is set by a provider that knows the outcome at once (the file outbox with the
    simulator); dispatch applies it through receipts.apply_receipt like any other receipt.
    """

    provider: str
    reference: str  # Twilio SID, SMTP Message-ID, file name
    settled: MessageStatus | None = None


class SendError(Exception):
    """The provider did not take the message; `code` is the provider's own error code."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetryableSendError(SendError):
    """Not accepted, and trying again later may work."""


class PermanentSendError(SendError):
    """Not accepted, and never will be for this recipient."""


class UncertainSendError(SendError):
    """The request left us but we do not know whether the provider accepted it."""


class SmsProvider(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> ProviderReceipt: ...


class EmailProvider(Protocol):
    """Sends emails; keeps one connection open across a batch until `close`."""

    name: str

    def send(self, email: OutgoingEmail) -> ProviderReceipt: ...

    def close(self) -> None: ...


class SmsLedger(Protocol):
    """A provider that can say whether it already holds a message (for the crash window)."""

    def find_accepted(self, sms: OutgoingSms, since: datetime) -> ProviderReceipt | None: ...
