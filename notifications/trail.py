"""Audit drafts for messages: what every `message.*` and `letter.rendered` entry carries.

DESIGN.md "Audit export": `detail` names the channel, template, recipient role, message id and,
for parents, the contact id. Never the address or the text: the audit trail is exported and
personal data stays in the outbox row it points to.
"""

from __future__ import annotations

from typing import Any

from casework.core.audit import AuditDraft, AuditKind
from casework.db.tables import Message

SYSTEM = "system"


def message_detail(message: Message, **extra: Any) -> dict[str, Any]:
    """The detail keys DESIGN.md requires for a message, plus `extra` (None values dropped)."""
    detail: dict[str, Any] = {
        "channel": message.channel,
        "template": message.template,
        "recipient_role": message.recipient_role,
        "message_id": message.id,
    }
    if message.recipient_ref is not None:
        detail["contact_id"] = message.recipient_ref
    detail.update({key: value for key, value in extra.items() if value is not None})
    return detail


def message_event(kind: AuditKind, message: Message, **extra: Any) -> AuditDraft:
    """An audit draft about `message`, by the system, on the message's school date."""
    return AuditDraft(
        kind=kind,
        actor=SYSTEM,
        school_date=message.school_date,
        urn=message.urn,
        upn=message.upn,
        case_id=message.case_id,
        stage=message.stage,
        detail=message_detail(message, **extra),
    )
