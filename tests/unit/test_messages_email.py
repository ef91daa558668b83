"""The email as built for SMTP and the file outbox: what a mail client reads back."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

from notifications.email_message import email_bytes, message_id_for
from notifications.providers import OutgoingEmail

POLISH = OutgoingEmail(
    message_id=12,
    to="rodzic@simulator.invalid",
    subject="Zofia nie była dziś w szkole – prosimy o kontakt",
    text="Dzień dobry,\n\nFrom the attendance team: Łucja ma się dobrze.\n.\nKoniec",
    html="<p>Dzień dobry</p>",
)


def _read(raw: bytes) -> EmailMessage:
    parsed: EmailMessage = BytesParser(policy=email.policy.default).parsebytes(raw)
    return parsed


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content())


def test_non_ascii_subject_and_body_read_back_exactly() -> None:
    """UTF-8 subject and both parts survive the trip, line for line."""
    message = _read(email_bytes(POLISH, "attendance@school.example.org"))
    assert message["Subject"] == POLISH.subject
    assert _body(message, "plain") == POLISH.text
    assert _body(message, "html").strip() == POLISH.html
    assert message["Message-ID"] == "<pathway-message-12@school.example.org>"


def test_body_lines_starting_from_are_not_quoted() -> None:
    """No mbox `>From` quoting: the family reads the sentence as written."""
    raw = email_bytes(POLISH, "attendance@school.example.org", "\r\n")
    assert b">From" not in raw
    assert b"\r\nFrom the attendance team" in raw
    assert b"\n\n" not in raw.replace(b"\r\n", b"")  # every line ends CRLF on the wire


def test_text_only_email_is_a_single_part() -> None:
    """Without HTML the email is one text/plain part."""
    plain = OutgoingEmail(1, "a@simulator.invalid", "Subject", "Body text")
    message = _read(email_bytes(plain, "x@example.org"))
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Body text"


def test_message_id_uses_the_senders_domain() -> None:
    """Derived from our message id, so the same message always has the same Message-ID."""
    assert (
        message_id_for(7, "attendance@la.example.gov.uk") == "<pathway-message-7@la.example.gov.uk>"
    )
    assert message_id_for(7, "") == "<pathway-message-7@pathway.invalid>"


def test_a_newline_in_the_subject_cannot_add_a_header() -> None:
    """Template data with a line break stays inside the Subject (no header injection)."""
    sneaky = OutgoingEmail(3, "a@simulator.invalid", "Robin\r\nBcc: someone@example.org", "Body")
    message = _read(email_bytes(sneaky, "x@example.org"))
    assert message["Bcc"] is None
    assert message["Subject"] == "Robin Bcc: someone@example.org"
