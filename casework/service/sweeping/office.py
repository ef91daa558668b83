"""The school office is told of an incomplete register (DOMAIN.md rule 7).

A session whose register closed with some pupils unmarked is a `register_incomplete` task for the
school office (casework.core.ladder.register_checks); this also emails the school's own staff —
its active `school_staff` and `attendance_officer` accounts — the `school/register_incomplete`
message, keyed by the alert so it goes once. A school with no such account gets the task only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from casework.core.calendar import RegisterSession
from casework.core.ladder.proposals import (
    Channel,
    ContactRef,
    DataAlert,
    Proposal,
    QueueMessage,
    RecipientRole,
)
from casework.core.ladder.recipients import long_date
from casework.core.ladder.view import SchoolView
from casework.core.permissions import Role
from casework.db.tables import User

TEMPLATE = "school/register_incomplete"
OFFICE_ROLES = (Role.SCHOOL_STAFF.value, Role.ATTENDANCE_OFFICER.value)
_SESSION_WORDS = {RegisterSession.AM: "morning", RegisterSession.PM: "afternoon"}


def office_addresses(db: Session, urn: str) -> list[str]:
    rows = db.exec(
        select(User.email).where(
            User.urn == urn, col(User.role).in_(OFFICE_ROLES), col(User.active).is_(True)
        )
    ).all()
    return sorted(rows)


def office_messages(
    db: Session, register: SchoolView, alerts: Sequence[Proposal]
) -> list[QueueMessage]:
    """One email to each of the school's office accounts per new incomplete-register alert."""
    incomplete = [
        a for a in alerts if isinstance(a, DataAlert) and a.reason == "register_incomplete"
    ]
    if not incomplete:
        return []
    on = register.on
    context = {
        "pupil_forename": "",
        "pupil_surname": "",
        "school_name": register.school_name,
        "school_date": on.school_date.isoformat(),
        "school_date_long": long_date(on.school_date),
        "session": _SESSION_WORDS[on.session],
        "stage_title": "",
    }
    return [
        QueueMessage(
            f"{alert.key}:office:{address}",
            ContactRef(RecipientRole.SCHOOL, Channel.EMAIL, address),
            TEMPLATE,
            None,
            {
                **context,
                "missing_count": alert.context.get("missing_count", ""),
                "recipient_name": "",
                "reference": f"{register.urn}-{on.school_date:%Y%m%d}-{on.session.value}",
            },
        )
        for alert in incomplete
        for address in office_addresses(db, register.urn)
    ]
