"""Who hears about a step, and in which channel: parents with PR, professionals, the LA."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import phonenumbers
from babel.dates import format_date

from casework.core.ladder.proposals import Channel, ContactRef, QueueMessage, RecipientRole
from casework.core.ladder.stages import SPECS, Stage
from casework.core.ladder.view import ContactFacts, PupilView

_CHANNELS = {c.value: c for c in Channel}


def long_date(value: date) -> str:
    """A date as families read it: 8 September 2025."""
    return str(format_date(value, "d MMMM yyyy", locale="en_GB"))


def display_phone(e164: str) -> str:
    """A stored E.164 number as a family dials it: +441865123456 -> 01865 123456."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def school_contact(phone: str, email: str) -> dict[str, str]:
    """The school office's phone and email as templates show them."""
    return {"school_phone": display_phone(phone), "school_email": email}


def base_context(view: PupilView, stage: Stage | None) -> dict[str, str]:
    """The keys every template receives (letter_templates/README.md)."""
    on = view.on.school_date
    return {
        **school_contact(view.school_phone, view.school_email),
        "pupil_forename": view.pupil.forename,
        "pupil_surname": view.pupil.surname,
        "school_name": view.school_name,
        "school_date": on.isoformat(),
        "school_date_long": long_date(on),
        "stage_title": SPECS[stage].title if stage else "",
        "reference": f"{view.upn[-6:]}-{on:%Y%m%d}",
    }


def _address_for(contact: ContactFacts, channel: Channel) -> str | None:
    if channel is Channel.SMS:
        return contact.mobile
    if channel is Channel.EMAIL:
        return contact.email
    return contact.address or None


def contact_channel(contact: ContactFacts, allowed: frozenset[Channel]) -> ContactRef | None:
    """The contact's preferred channel if the template has it and we hold the address.

    Otherwise the first usable of sms, email, letter; None if we cannot reach them at all.
    """
    preferred = _CHANNELS.get(contact.preferred_channel)
    order = [preferred] if preferred else []
    order += [c for c in (Channel.SMS, Channel.EMAIL, Channel.LETTER) if c not in order]
    for channel in order:
        address = _address_for(contact, channel)
        if channel in allowed and address:
            return ContactRef(
                role=RecipientRole.PARENT,
                channel=channel,
                address=address,
                contact_id=contact.contact_id,
                name=contact.name,
                language=contact.language or "en",
            )
    return None


def parents_with_pr(view: PupilView) -> list[ContactFacts]:
    """Contacts with parental responsibility, in priority order; only they are ever messaged."""
    return sorted(
        (c for c in view.pupil.contacts if c.parental_responsibility),
        key=lambda c: (c.priority, c.contact_id),
    )


def message_parents(
    view: PupilView,
    template: str,
    key: str,
    stage: Stage | None,
    allowed: frozenset[Channel],
    extra: Mapping[str, str] | None = None,
) -> list[QueueMessage]:
    """One message per parent with parental responsibility, in their preferred channel."""
    messages = []
    for contact in parents_with_pr(view):
        to = contact_channel(contact, allowed)
        if to is None:
            continue
        context = {
            **base_context(view, stage),
            "recipient_name": contact.name,
            "recipient_address": contact.address,
            **(extra or {}),
        }
        messages.append(
            QueueMessage(
                key=f"{key}:msg:{contact.contact_id}",
                to=to,
                template=template,
                stage=stage,
                context=context,
            )
        )
    return messages


def letter_to_household(
    view: PupilView, template: str, key: str, stage: Stage, extra: Mapping[str, str]
) -> list[QueueMessage]:
    """One posted letter to the first parent with PR who has an address (a calling card)."""
    for contact in parents_with_pr(view):
        if contact.address:
            to = ContactRef(
                role=RecipientRole.PARENT,
                channel=Channel.LETTER,
                address=contact.address,
                contact_id=contact.contact_id,
                name=contact.name,
                language=contact.language or "en",
            )
            context = {
                **base_context(view, stage),
                "recipient_name": contact.name,
                "recipient_address": contact.address,
                **extra,
            }
            return [QueueMessage(f"{key}:letter", to, template, stage, context)]
    return []


def message_professional(
    view: PupilView,
    role: RecipientRole,
    address: str,
    key: str,
    stage: Stage | None,
    event: str,
    event_detail: str,
) -> QueueMessage:
    """An email to a social worker, YOT worker, the Virtual School or the LA team."""
    template = {
        RecipientRole.SOCIAL_WORKER: "professional/social_worker",
        RecipientRole.YOT_WORKER: "professional/yot_worker",
        RecipientRole.VIRTUAL_SCHOOL: "professional/virtual_school",
        RecipientRole.LA: "la/referral",
    }[role]
    context = {
        **base_context(view, stage),
        "recipient_name": "",
        "recipient_address": address,
    }
    if role is RecipientRole.LA:
        m = view.measures
        context["referral_reason"] = event_detail
        context["attendance_percent"] = f"{m.attendance_percent:.1f}"
    else:
        context["event"] = event
        context["event_detail"] = event_detail
    to = ContactRef(role=role, channel=Channel.EMAIL, address=address)
    return QueueMessage(f"{key}:{role.value}", to, template, stage, context)


FAMILY_ALL = frozenset({Channel.SMS, Channel.EMAIL, Channel.LETTER})
FAMILY_WRITTEN = frozenset({Channel.EMAIL, Channel.LETTER})
LETTER_ONLY = frozenset({Channel.LETTER})
