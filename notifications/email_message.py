"""The RFC 5322 email for an outgoing email: one writer for the SMTP wire and the file outbox.

Written directly rather than through `email.generator`, whose header folding cost ~2.5 ms of CPU
a message (about half of dispatch's whole per-email budget). The shape is fixed and simple: a
text/plain part, plus a text/html alternative when the template has one, both UTF-8 and
quoted-printable (readable in a .eml file; a line "From ..." is not mbox-quoted). The boundary
starts with "=_", which quoted-printable text can never contain. A subject that is not ASCII is
RFC 2047 encoded. tests/unit/test_messages_email.py reads the result back with the stdlib parser.
"""

from __future__ import annotations

import binascii
from email.header import Header
from email.utils import formatdate

from notifications.providers import OutgoingEmail

_TEXT_PART = "Content-Type: text/{subtype}; charset=utf-8"
_QP = "Content-Transfer-Encoding: quoted-printable"


def message_id_for(message_id: int, sender: str) -> str:
    """Our Message-ID header: derived from the outbox id, so a resend is recognisable."""
    domain = sender.rsplit("@", 1)[-1] or "pathway.invalid"
    return f"<pathway-message-{message_id}@{domain}>"


def _quoted_printable(text: str) -> list[str]:
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True)
    return encoded.decode("ascii").split("\n")


def _one_line(value: str) -> str:
    # A newline in a header value would start a header of the value's choosing (Bcc: ...).
    return " ".join(value.splitlines())


def _subject(subject: str, linesep: str) -> str:
    subject = _one_line(subject)
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep=linesep)


def _part(subtype: str, text: str) -> list[str]:
    return [_TEXT_PART.format(subtype=subtype), _QP, "", *_quoted_printable(text)]


def email_bytes(email: OutgoingEmail, sender: str, linesep: str = "\n") -> bytes:
    """The email as bytes: `linesep="\\r\\n"` for the SMTP wire, plain newlines for a file."""
    lines = [
        f"From: {sender}",
        f"To: {_one_line(email.to)}",
        f"Subject: {_subject(email.subject, linesep)}",
        f"Date: {formatdate(localtime=False, usegmt=True)}",
        f"Message-ID: {message_id_for(email.message_id, sender)}",
        "MIME-Version: 1.0",
    ]
    if not email.html:
        lines += _part("plain", email.text)
    else:
        boundary = f"=_pathway_{email.message_id}"
        lines += [f'Content-Type: multipart/alternative; boundary="{boundary}"', ""]
        lines += [f"--{boundary}", *_part("plain", email.text)]
        lines += [f"--{boundary}", *_part("html", email.html), f"--{boundary}--"]
    return (linesep.join(lines) + linesep).encode("ascii")
