"""`contacts.csv` rows: the people to tell about a pupil, in priority order, on their channel.

A contact's preferred channel must have its address: a mobile for sms, an email for email, a
postal address for letter. Mobile and email may otherwise be blank (some families are reached
only by post or a call).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from casework.core.imports.identifiers import (
    UpnChecker,
    check_language,
    normalise_email,
    normalise_mobile,
)
from casework.core.imports.rows import (
    CsvTable,
    Raw,
    RowProblem,
    Validated,
    optional,
    parse_bool,
    parse_choice,
    parse_int,
    required,
    validate_keyed,
)
from casework.core.ladder.proposals import Channel

COLUMNS = (
    "upn",
    "contact_id",
    "name",
    "relationship",
    "parental_responsibility",
    "priority",
    "mobile",
    "email",
    "preferred_channel",
    "language",
    "address",
)
MAX_CONTACT_ID = 40


@dataclass(frozen=True, slots=True)
class ContactRecord:
    contact_id: str
    upn: str
    name: str
    relationship: str
    parental_responsibility: bool
    priority: int
    mobile: str | None
    email: str | None
    preferred_channel: str
    language: str
    address: str


_CHANNEL_FIELD: Mapping[Channel, str] = {
    Channel.SMS: "mobile",
    Channel.EMAIL: "email",
    Channel.LETTER: "address",
}


class ContactRowParser:
    """Parses contact rows against the pupils already known."""

    def __init__(self, known_upns: Set[str]) -> None:
        self._known_upns = known_upns
        self._upns = UpnChecker()

    def __call__(self, raw: Raw) -> ContactRecord:
        mobile = optional(raw, "mobile")
        email = optional(raw, "email")
        record = ContactRecord(
            contact_id=_contact_id(required(raw, "contact_id")),
            upn=self._upn(raw.get("upn", "")),
            name=required(raw, "name"),
            relationship=required(raw, "relationship"),
            parental_responsibility=parse_bool(raw, "parental_responsibility"),
            priority=parse_int(raw, "priority", minimum=1),
            mobile=None if mobile is None else normalise_mobile(mobile),
            email=None if email is None else normalise_email(email),
            preferred_channel=parse_choice(raw, "preferred_channel", Channel).value,
            language=check_language(raw.get("language") or "en"),
            address=raw.get("address", ""),
        )
        channel = record.preferred_channel
        needed = _CHANNEL_FIELD[Channel(channel)]
        if not getattr(record, needed):
            raise RowProblem(f"preferred_channel is {channel} but {needed} is blank")
        return record

    def _upn(self, value: str) -> str:
        upn = self._upns.check(value)
        if upn not in self._known_upns:
            raise RowProblem("unknown pupil: no pupil with this upn has been imported")
        return upn


def _contact_id(value: str) -> str:
    if len(value) > MAX_CONTACT_ID:
        raise RowProblem(f"contact_id must be at most {MAX_CONTACT_ID} characters")
    return value


def validate_contacts(
    table: CsvTable, known_upns: Set[str], existing: Mapping[str, ContactRecord]
) -> Validated[ContactRecord]:
    """Contacts to insert or update; a contact equal to the stored one is unchanged."""
    return validate_keyed(table, ContactRowParser(known_upns), lambda c: c.contact_id, existing)
