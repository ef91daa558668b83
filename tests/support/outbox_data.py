"""Families and outbox rows for notification tests and the bench, made through the real `enqueue`.

Names and numbers are invented; phones are Ofcom drama numbers (simulator recipients) unless a
test passes its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.core.audit import AuditKind
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import Case, Contact, Message, Pupil, School
from notifications.outbox import MessageDraft, enqueue
from notifications.simulator import simulator_number
from notifications.trail import message_event

URN = "100001"
SCHOOL_DATE = date(2025, 9, 8)  # a Monday in term
MORNING = datetime(2025, 9, 8, 9, 30, tzinfo=UTC)  # 10:30 in London, outside quiet hours


def upn_for(n: int) -> str:
    return f"A{n:012d}"


def ensure_school(session: Session) -> None:
    if session.get(School, URN) is None:
        session.add(
            School(
                urn=URN,
                name="Brookfield Primary",
                la_code="931",
                phase="primary",
                am_register_closes=time(9, 15),
                pm_register_closes=time(13, 45),
            )
        )
        session.flush()


def _pupil(n: int) -> Pupil:
    return Pupil(
        upn=upn_for(n),
        urn=URN,
        forename=f"Robin{n}",
        surname="Example",
        date_of_birth=date(2016, 5, 1),
        year_group="4",
        sen_status="N",
    )


def create_family(
    session: Session,
    n: int,
    *,
    mobile: str | None = None,
    email: str | None = None,
    address: str = "1 Example Road, Exampletown, EX1 1AA",
    language: str = "en",
) -> tuple[Contact, int]:
    """Pupil `n` with one parent contact and a case; returns (contact, case id)."""
    ensure_school(session)
    upn = upn_for(n)
    session.add(_pupil(n))
    session.flush()  # no ORM relationships, so flush in foreign-key order by hand
    contact = Contact(
        contact_id=f"C{n:06d}",
        upn=upn,
        name=f"Sam Example {n}",
        relationship="mother",
        parental_responsibility=True,
        priority=1,
        mobile=mobile,
        email=email,
        preferred_channel="sms",
        language=language,
        address=address,
    )
    session.add(contact)
    case = Case(upn=upn, urn=URN, opened_date=SCHOOL_DATE, opened_at=MORNING)
    session.add(case)
    session.flush()
    return contact, case.id or 0


def context_for(n: int, contact: Contact) -> dict[str, str]:
    return {
        "school_name": "Brookfield Primary",
        "pupil_forename": f"Robin{n}",
        "pupil_surname": "Example",
        "session": "morning",
        "school_date": SCHOOL_DATE.isoformat(),
        "school_date_long": "8 September 2025",
        "recipient_name": contact.name,
        "recipient_address": contact.address,
        "reference": f"FDC-{n}",
        "stage_title": "First-day call",
    }


def draft_for(
    n: int, contact: Contact, case_id: int, channel: str, *, template: str = "first_day_call/parent"
) -> MessageDraft:
    to = {"sms": contact.mobile, "email": contact.email}.get(channel, contact.address)
    return MessageDraft(
        idempotency_key=f"{upn_for(n)}:first_day_call:{SCHOOL_DATE}:AM:{contact.contact_id}:{channel}",
        channel=channel,
        template=template,
        language=contact.language,
        recipient_role="parent",
        recipient_ref=contact.contact_id,
        normalised_to=to or "",
        context=context_for(n, contact),
        school_date=SCHOOL_DATE,
        urn=URN,
        upn=upn_for(n),
        case_id=case_id,
        stage="first_day_call",
    )


def queue(session: Session, drafts: Sequence[MessageDraft], now: datetime) -> list[Message]:
    """Enqueue as the sweep does: rows plus `message.queued` entries for the ones inserted."""
    inserted = enqueue(session, drafts, now)
    append_entries(session, [message_event(AuditKind.MESSAGE_QUEUED, m) for m in inserted], now)
    return inserted


def seed_family_messages(
    engine: Engine,
    count: int,
    channel: str,
    *,
    now: datetime = MORNING,
    start: int = 0,
    **family: Any,
) -> list[int]:
    """`count` families, each with one queued message on `channel`; the message ids."""
    drafts = []
    with unit_of_work(engine) as session:
        for n in range(start, start + count):
            mobile = family.get("mobile") or simulator_number(n)
            email = family.get("email") or f"parent{n}@simulator.invalid"
            contact, case_id = create_family(session, n, mobile=mobile, email=email)
            drafts.append(draft_for(n, contact, case_id, channel))
        inserted = queue(session, drafts, now)
    return [m.id or 0 for m in inserted]
