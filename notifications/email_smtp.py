"""SMTP email provider over aiosmtplib: STARTTLS and auth from settings, one connection a batch.

Dispatch is synchronous, so the provider runs its own event loop and keeps one SMTP connection
open across a batch until `close()` (STACK.md §6.3: 7–8 ms a message on one connection, ~70 ms
with a new connection each). `start_tls=True` makes a relay that does not offer STARTTLS an
error instead of a plaintext send. The Message-ID is derived from our message id, so a resend
after the crash window is recognisable as the same message.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiosmtplib

from casework.settings import Settings
from notifications.email_message import email_bytes, message_id_for
from notifications.providers import (
    OutgoingEmail,
    PermanentSendError,
    ProviderReceipt,
    RetryableSendError,
    SendError,
    UncertainSendError,
)

PROVIDER = "smtp"
T = TypeVar("T")


def _by_code(code: int, reason: str) -> SendError:
    # RFC 5321: 4xx is transient, 5xx permanent.
    if 500 <= code < 600:
        return PermanentSendError(reason, str(code))
    return RetryableSendError(reason, str(code))


def classify_smtp_error(exc: aiosmtplib.SMTPException) -> SendError:
    """The SendError for an aiosmtplib failure during one send."""
    name = type(exc).__name__
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients] or [550]
        return _by_code(max(codes), f"smtp recipient refused ({name})")
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPNotSupported):
        return RetryableSendError(f"smtp cannot connect ({name})")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError):
        return RetryableSendError(f"smtp session refused ({name})", str(exc.code))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_code(exc.code, f"smtp refused ({name})")
    # Disconnected or timed out mid-conversation: the relay may already have the message.
    return UncertainSendError(f"smtp {name}")


class SmtpEmail:
    """EmailProvider over one reusable SMTP connection."""

    name = PROVIDER

    def __init__(self, settings: Settings, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls_context = tls_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._smtp: aiosmtplib.SMTP | None = None

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coroutine)

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            start_tls=s.smtp_start_tls,
            timeout=s.provider_timeout_seconds,
            cert_bundle=s.smtp_cert_bundle or None,
            tls_context=self.tls_context,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            self._smtp = self._client()
            await self._smtp.connect()
        return self._smtp

    async def _send(self, email: OutgoingEmail) -> None:
        try:
            smtp = await self._connected()
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._smtp = None
            # Nothing can have been sent on a connection that never opened: always retryable.
            raise RetryableSendError(f"smtp cannot open a session ({type(exc).__name__})") from exc
        try:
            sender = self.settings.smtp_from
            # Flattened here, not by aiosmtplib, which would quote body lines starting "From ".
            await smtp.sendmail(sender, [email.to], email_bytes(email, sender, "\r\n"))
        except aiosmtplib.SMTPException as exc:
            if not isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
                await self._drop()
            raise classify_smtp_error(exc) from exc

    async def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            smtp.close()

    def send(self, email: OutgoingEmail) -> ProviderReceipt:
        self._run(self._send(email))
        reference = message_id_for(email.message_id, self.settings.smtp_from)
        return ProviderReceipt(provider=PROVIDER, reference=reference)

    async def _quit(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except aiosmtplib.SMTPException:
                smtp.close()

    def close(self) -> None:
        """QUIT the connection and close the event loop."""
        if self._loop is None:
            return
        try:
            self._run(self._quit())
        finally:
            self._loop.close()
            self._loop = None
