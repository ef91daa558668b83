"""An aiosmtpd SMTP server on loopback with STARTTLS and AUTH, on a certificate made on the spot.

`SmtpSink(tmp_path)` writes a self-signed certificate for 127.0.0.1 (the `cryptography` package),
requires STARTTLS before anything else and AUTH before MAIL, and records every message it takes
as parsed `EmailMessage`s. It can refuse chosen recipients with an SMTP code (550 permanent, 450
temporary) and refuse the next N DATA commands with 451.
"""

from __future__ import annotations

import email.policy
import ipaddress
import logging
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.net import free_port

# aiosmtpd warns on its own AUTH path that its Session.login_data is deprecated, once a login:
# a bench run's dispatch printed it two dozen times. Its other warnings still show.
logging.getLogger("mail.log").addFilter(lambda record: "login_data" not in record.getMessage())

USERNAME = "pathway-relay"
PASSWORD = "loopback-relay-password"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for IP 127.0.0.1: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # The certificate's own validity dates come from the real clock, as any CA's would.
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    was_tls: bool
    authenticated_as: str | None
    peer: tuple[str, int]  # the client's address and port: one per SMTP connection

    @cached_property
    def message(self) -> EmailMessage:
        """The message as a mail client reads it (parsed on first use: the bench never does)."""
        # On the wire lines end CRLF; a mail client reads them as plain newlines.
        text = self.raw.replace(b"\r\n", b"\n")
        parsed: EmailMessage = BytesParser(policy=email.policy.default).parsebytes(text)
        return parsed


@dataclass
class _Handler:
    received: list[ReceivedEmail] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    data_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        code = self.refused.get(address)
        if code is not None:
            return f"{code} recipient refused by the loopback sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.data_failures > 0:
                self.data_failures -= 1
                return "451 try again later"
        login = session.auth_data.login.decode() if session.auth_data else None
        received = ReceivedEmail(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=envelope.original_content,
            was_tls=session.ssl is not None,
            authenticated_as=login,
            peer=tuple(session.peer[:2]),
        )
        with self.lock:
            self.received.append(received)
        return "250 Message accepted"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USERNAME
        and auth_data.password.decode() == PASSWORD
    )
    # handled=False makes aiosmtpd answer 535; with the default the client hangs (STACK.md §6.3).
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)


class SmtpSink:
    """`with SmtpSink(tmp_path) as sink:`; `sink.port`, `sink.cert_path`, `sink.received`."""

    def __init__(self, folder: Path) -> None:
        self.cert_path, self.key_path = make_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=context,
            require_starttls=True,
            auth_require_tls=True,
            authenticator=_authenticator,
            decode_data=False,
        )

    @property
    def received(self) -> list[ReceivedEmail]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, address: str, code: int = 550) -> None:
        self.handler.refused[address] = code

    def fail_data(self, count: int) -> None:
        with self.handler.lock:
            self.handler.data_failures += count

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this sink's certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
