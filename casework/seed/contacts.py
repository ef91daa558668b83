"""Synthetic contacts: one to three per pupil, mostly two parents with parental responsibility.

Most prefer SMS, some email, a few are reached only by letter (no mobile, no email). Families who
speak Polish at home mostly read Polish. A small share use simulator recipients (Ofcom drama
numbers, `@simulator.invalid`) whose scripted outcomes make the demo show failures and receipts.
Ordinary numbers are +447911xxxxxx, valid and fictional; ordinary emails are at example.org.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from casework.seed.data import ADULT_FORENAMES, RELATIONSHIPS_NON_PR, STREETS
from casework.seed.people import SeedPupil
from casework.seed.rng import seeded

SIMULATOR_SHARE = 0.03
_MOBILE_PREFIXES = ("+447911", "+447912", "+447913", "+447914")  # a million numbers each
_SIMULATOR_EMAIL_OUTCOMES = ("delivered", "delivered", "temporary-failure", "permanent-failure")


@dataclass(frozen=True, slots=True)
class SeedContact:
    upn: str
    contact_id: str
    name: str
    relationship: str
    parental_responsibility: bool
    priority: int
    mobile: str
    email: str
    preferred_channel: str
    language: str
    address: str

    def csv_row(self) -> list[str]:
        return [
            self.upn, self.contact_id, self.name, self.relationship,
            "true" if self.parental_responsibility else "false", str(self.priority),
            self.mobile, self.email, self.preferred_channel, self.language, self.address,
        ]  # fmt: skip


def _mobile(number: int, rng: random.Random) -> str:
    if rng.random() < SIMULATOR_SHARE:
        # 000-599 delivered, 600-799 temporary failure, 800-999 permanent failure.
        return f"+447700900{rng.randrange(1000):03d}"
    prefix = _MOBILE_PREFIXES[number // 1_000_000 % len(_MOBILE_PREFIXES)]
    return f"{prefix}{number % 1_000_000:06d}"


def _email(name: str, number: int, rng: random.Random) -> str:
    if rng.random() < SIMULATOR_SHARE:
        return f"{rng.choice(_SIMULATOR_EMAIL_OUTCOMES)}+{number}@simulator.invalid"
    return f"{name.lower().replace(' ', '.')}.{number}@example.org"


def _relationships(rng: random.Random) -> list[tuple[str, bool]]:
    """(relationship, parental responsibility) for each contact, in priority order."""
    count = rng.choices((1, 2, 3), weights=(18, 72, 10))[0]
    first = rng.choices(("mother", "father", "grandmother"), weights=(80, 16, 4))[0]
    people = [(first, True)]
    if count >= 2:
        other = "father" if first == "mother" else "mother"
        people.append((other, True) if rng.random() < 0.9 else ("stepfather", False))
    if count == 3:
        people.append((rng.choice(RELATIONSHIPS_NON_PR), False))
    return people


def _channel(rng: random.Random) -> str:
    return rng.choices(("sms", "email", "letter"), weights=(75, 20, 5))[0]


def make_contacts(pupil: SeedPupil, first_number: int, seed: int) -> list[SeedContact]:
    """The pupil's contacts; `first_number` numbers their phones and emails uniquely."""
    rng = seeded(seed, "contacts", pupil.upn)
    address = f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, Synthetown"
    reads_polish = pupil.home_language == "POL"
    contacts = []
    for priority, (relationship, has_pr) in enumerate(_relationships(rng), start=1):
        number = first_number + priority - 1
        name = f"{rng.choice(ADULT_FORENAMES)} {pupil.surname}"
        channel = _channel(rng)
        mobile = _mobile(number, rng) if channel == "sms" or rng.random() < 0.7 else ""
        email = _email(name, number, rng) if channel == "email" or rng.random() < 0.5 else ""
        if channel == "letter":
            mobile = email = ""
        contacts.append(
            SeedContact(
                upn=pupil.upn,
                contact_id=f"{pupil.upn}-{priority}",
                name=name,
                relationship=relationship,
                parental_responsibility=has_pr,
                priority=priority,
                mobile=mobile,
                email=email,
                preferred_channel=channel,
                language="pl" if reads_polish and rng.random() < 0.8 else "en",
                address=address,
            )
        )
    return contacts
