"""Reaching a family another way when their text or email cannot be delivered.

A permanent failure to a parent, or a technical one (the provider was down past the policy's
retry horizon), queues the same template on the next channel that contact has: SMS -> email ->
letter. When no channel is left (no address, or the letter itself failed), the school office
gets a `family_unreachable` task (notifications/unreachable.py).
The new message's key is the failed one's plus `:fallback:<channel>`, so a duplicate receipt or
a replayed result queues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from babel.dates import format_date
from jinja2 import UndefinedError
from sqlmodel import Session

from casework.core.audit import AuditDraft, AuditKind
from casework.core.labels import stage_label
from casework.core.ladder.proposals import RecipientRole
from casework.core.ladder.recipients import school_contact
from casework.core.ladder.stages import SPECS
from casework.db.tables import Contact, Pupil, School
from casework.db.tables import Message as MessageRow
from notifications.queue import MessageDraft, enqueue
from notifications.rendering import TemplateBroken, TemplateMissing
from notifications.trail import message_event
from notifications.unreachable import open_unreachable_task

log = logging.getLogger(__name__)

NEXT_CHANNELS: Mapping[str, tuple[str, ...]] = {"sms": ("email", "letter"), "email": ("letter",)}


def _address(contact: Contact, channel: str) -> str | None:
    if channel == "email":
        return contact.email or None
    return contact.address  # a letter with no address still reaches the office to hand over


def _stage_title(stage: str | None) -> str:
    return stage_label(stage) if stage in SPECS else ""


def _context(session: Session, message: MessageRow, contact: Contact) -> dict[str, str]:
    """The failed message's context plus what a letter or email layout also needs."""
    context = dict(message.context)
    pupil = session.get(Pupil, message.upn) if message.upn else None
    school = session.get(School, message.urn)
    defaults = {
        "recipient_name": contact.name,
        "recipient_address": contact.address,
        "reference": f"PW{message.id}",
        "stage_title": _stage_title(message.stage),
        "pupil_forename": pupil.forename if pupil else "",
        "pupil_surname": pupil.surname if pupil else "",
        "school_name": school.name if school else "",
        **school_contact(school.phone if school else "", school.email if school else ""),
        "school_date": message.school_date.isoformat(),
        "school_date_long": format_date(message.school_date, "d MMMM yyyy", locale="en_GB"),
    }
    for key, value in defaults.items():
        context.setdefault(key, value)
    return context


def _draft(
    message: MessageRow, contact: Contact, channel: str, context: Mapping[str, str]
) -> MessageDraft:
    return MessageDraft(
        idempotency_key=f"{message.idempotency_key}:fallback:{channel}",
        channel=channel,
        template=message.template,
        language=contact.language or message.language,
        recipient_role=message.recipient_role,
        recipient_ref=message.recipient_ref,
        normalised_to=_address(contact, channel) or "",
        context=context,
        school_date=message.school_date,
        urn=message.urn,
        upn=message.upn,
        case_id=message.case_id,
        stage=message.stage,
    )


def queue_fallback(session: Session, message: MessageRow, now: datetime) -> list[AuditDraft]:
    """Queue the next channel for a family message that failed for good; its audit drafts."""
    if message.recipient_role != RecipientRole.PARENT:
        return []
    contact = session.get(Contact, message.recipient_ref) if message.recipient_ref else None
    if contact is None:
        log.warning("no contact to fall back to", extra={"message_id": message.id})
        return open_unreachable_task(session, message, now)
    queued = _queue_next_channel(session, message, contact, now)
    return queued or open_unreachable_task(session, message, now)


def _queue_next_channel(
    session: Session, message: MessageRow, contact: Contact, now: datetime
) -> list[AuditDraft]:
    context = _context(session, message, contact)
    for channel in NEXT_CHANNELS.get(message.channel, ()):
        if _address(contact, channel) is None:
            continue
        try:
            inserted = enqueue(session, [_draft(message, contact, channel, context)], now)
        except (TemplateMissing, TemplateBroken, UndefinedError) as exc:
            log.warning(
                "fallback template unusable: %s",
                type(exc).__name__,
                extra={"message_id": message.id, "template": message.template},
            )
            continue
        return [
            message_event(AuditKind.MESSAGE_QUEUED, m, fallback_for=message.id) for m in inserted
        ]
    return []
