"""A hard bounce (an email address or number that does not exist) asks a person to fix it, and
nothing more is sent to it.

When a family email or text fails permanently, `address_task` opens one `fix_contact` task for the
school office (one per contact, channel and address, however many messages bounced). Before each
dispatch chunk is sent, `bounced` finds the addresses that already failed permanently: messages to
them are failed without a send and fall back to the next channel like any other permanent failure.
An address corrected in the school's records is a different address, so it is used again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import Channel, OwnerRole, RecipientRole, TaskKind
from casework.db.session import read_snapshot
from casework.db.tables import Message, Task
from notifications.messages import MessageStatus
from notifications.trail import SYSTEM

BOUNCE_CHANNELS = frozenset({Channel.EMAIL.value, Channel.SMS.value})
NOT_SENT = "not sent: this address failed permanently before"


def bounced(engine: Engine, addresses: Iterable[str]) -> set[str]:
    """Those of `addresses` that a family email or text already failed on permanently."""
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return set()
    stmt = select(Message.normalised_to).where(
        col(Message.status) == MessageStatus.PERMANENT_FAILURE.value,
        col(Message.channel).in_(sorted(BOUNCE_CHANNELS)),
        col(Message.normalised_to).in_(wanted),
    )
    with read_snapshot(engine) as db:
        return set(db.exec(stmt.distinct()).all())


def _insert_task(session: Session, values: dict[str, object]) -> int | None:
    """The new task's id, or None when the same task already exists."""
    table: sa.Table = Task.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    new_id = session.execute(statement.returning(table.c.id)).scalar()
    return int(new_id) if new_id is not None else None


def address_task(session: Session, message: Message, now: datetime) -> list[AuditDraft]:
    """Open the task to fix a family contact's failed email or number (once per address)."""
    if (
        message.channel not in BOUNCE_CHANNELS
        or message.recipient_role != RecipientRole.PARENT
        or not message.recipient_ref
        or not message.normalised_to
    ):
        return []
    on = message.school_date
    values: dict[str, object] = {
        "key": f"{message.recipient_ref}:bounced:{message.channel}:{message.normalised_to}",
        "case_id": message.case_id,
        "upn": message.upn,
        "urn": message.urn,
        "kind": TaskKind.FIX_CONTACT.value,
        "stage": message.stage,
        "status": "open",
        "owner_role": OwnerRole.SCHOOL_OFFICE.value,
        "created_date": on,
        "due_date": on,
        "context": {
            "contact_id": message.recipient_ref,
            "channel": message.channel,
            "address": message.normalised_to,
        },
    }
    task_id = _insert_task(session, values)
    if task_id is None:
        return []
    detail = {"task_kind": values["kind"], "task_id": task_id, "due_date": on.isoformat()}
    draft = AuditDraft(
        kind=AuditKind.TASK_CREATED,
        actor=SYSTEM,
        school_date=on,
        urn=message.urn,
        upn=message.upn,
        case_id=message.case_id,
        stage=message.stage,
        detail={**detail, "owner_role": OwnerRole.SCHOOL_OFFICE.value, "message_id": message.id},
    )
    return [draft]
