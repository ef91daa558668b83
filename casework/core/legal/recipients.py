"""Who receives a penalty notice, pure: each parent (s576), as the decider chose.

DOMAIN.md rule 21 and Part 2 §1.4 and §18. A parent is anyone with parental responsibility or who
has care of the child; a notice goes to each of them, per child. Which parents receive one is
part of the decision a person records: by default every parent with a postal address (a notice
must carry the recipient's address, §8.4 (a)), so one parent without an address does not hold
up the other's notice; the decider may name the parents instead. The problems come back as words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casework.core.ladder.view import ContactFacts

# s576 EA 1996: a parent is anyone with parental responsibility or who has care of the child.
CARE_RELATIONSHIPS = frozenset({"carer", "guardian", "special_guardian", "kinship_carer"})


def notice_recipients(contacts: Iterable[ContactFacts]) -> list[ContactFacts]:
    """Each parent of the child (s576): parental responsibility or care, in priority order."""
    return sorted(
        (
            c
            for c in contacts
            if c.parental_responsibility or c.relationship.lower() in CARE_RELATIONSHIPS
        ),
        key=lambda c: (c.priority, c.contact_id),
    )


@dataclass(frozen=True, slots=True)
class RecipientChoice:
    """The parents a decision sends notices to, those left out with why, and any problems."""

    receive: tuple[ContactFacts, ...]
    left_out: tuple[tuple[str, str], ...]  # (contact id, why)
    problems: tuple[str, ...]


def _named(parents: Sequence[ContactFacts], chosen: Sequence[str]) -> RecipientChoice:
    ids = {c.contact_id for c in parents}
    unknown = [c for c in chosen if c not in ids]
    if unknown:
        return RecipientChoice(
            (),
            (),
            (
                f"{', '.join(unknown)} is not a parent of the child (parental responsibility "
                f"or care): choose from {', '.join(sorted(ids))}",
            ),
        )
    receive = tuple(c for c in parents if c.contact_id in chosen)
    no_address = [c.contact_id for c in receive if not c.address.strip()]
    if no_address:
        # DOMAIN §8.4 (a): the notice must carry the recipient's name and address.
        return RecipientChoice(
            (), (), (f"record a postal address for {', '.join(no_address)} first",)
        )
    left = tuple((c.contact_id, "not chosen by the decider") for c in parents if c not in receive)
    return RecipientChoice(receive, left, ())


def choose_recipients(
    contacts: Iterable[ContactFacts], chosen: Sequence[str] = ()
) -> RecipientChoice:
    """The notice's recipients: the parents named, or every parent with a postal address."""
    parents = notice_recipients(contacts)
    if not parents:
        return RecipientChoice(
            (), (), ("no parent with parental responsibility or care is recorded",)
        )
    if chosen:
        return _named(parents, chosen)
    receive = tuple(c for c in parents if c.address.strip())
    left = tuple((c.contact_id, "no postal address recorded") for c in parents if c not in receive)
    if not receive:
        return RecipientChoice(
            (), left, ("no parent has a postal address recorded: a notice must carry one",)
        )
    return RecipientChoice(receive, left, ())
