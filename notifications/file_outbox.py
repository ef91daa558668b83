"""The embedded default provider: each message written to the outbox folder as it would be sent.

`<id>-sms.txt` holds the recipient and the text, `<id>-email.eml` the full RFC 5322 email. The
file is written under a temporary name and renamed, so a file that exists was written whole;
that makes the folder its own ledger for the crash window (`find_accepted`). Writing the file is
delivery in embedded mode, so the receipt says delivered, unless the recipient is a simulator
address whose outcome is scripted.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from notifications.email_message import email_bytes
from notifications.messages import MessageStatus
from notifications.providers import OutgoingEmail, OutgoingSms, ProviderReceipt
from notifications.simulator import scripted_outcome

PROVIDER = "file"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _receipt(path: Path, address: str) -> ProviderReceipt:
    settled = scripted_outcome(address) or MessageStatus.DELIVERED
    return ProviderReceipt(provider=PROVIDER, reference=path.name, settled=settled)


class FileOutbox:
    """SMS and email provider writing to `outbox_dir` (SmsProvider, EmailProvider, SmsLedger)."""

    name = PROVIDER

    def __init__(self, outbox_dir: Path, sender: str) -> None:
        self.outbox_dir = outbox_dir
        self.sender = sender

    def sms_path(self, message_id: int) -> Path:
        return self.outbox_dir / f"{message_id}-sms.txt"

    def email_path(self, message_id: int) -> Path:
        return self.outbox_dir / f"{message_id}-email.eml"

    def send(self, message: OutgoingSms | OutgoingEmail) -> ProviderReceipt:
        if isinstance(message, OutgoingSms):
            path = self.sms_path(message.message_id)
            _write_atomically(path, f"To: {message.to}\n\n{message.body}\n".encode())
        else:
            path = self.email_path(message.message_id)
            _write_atomically(path, email_bytes(message, self.sender))
        return _receipt(path, message.to)

    def find_accepted(self, sms: OutgoingSms, since: datetime) -> ProviderReceipt | None:
        path = self.sms_path(sms.message_id)
        return _receipt(path, sms.to) if path.exists() else None

    def close(self) -> None:
        """Nothing held open between messages."""
