"""When no channel left can reach a family: a task for the school office, never silence.

A family message that failed for good (permanently, or past the retry horizon) and has no
fallback channel left opens one `family_unreachable` task, keyed by the failed message, so a
replayed result or a duplicate receipt opens nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import OwnerRole, TaskKind
from casework.db.tables import Message, Task
from casework.settings import LONDON
from notifications.trail import SYSTEM

_TASKS: sa.Table = Task.__table__  # type: ignore[attr-defined]


def _insert_task(session: Session, values: dict[str, Any]) -> int | None:
    """The new task's id, or None when a task with this key already exists."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(_TASKS).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    new_id = session.execute(statement.returning(_TASKS.c.id)).scalar()
    return None if new_id is None else int(new_id)


def open_unreachable_task(session: Session, message: Message, now: datetime) -> list[AuditDraft]:
    """Ask the school office to reach the family another way; the task's audit draft."""
    on = now.astimezone(LONDON).date()
    values = {
        "key": f"{message.idempotency_key}:unreachable",
        "case_id": message.case_id,
        "upn": message.upn,
        "urn": message.urn,
        "kind": TaskKind.FAMILY_UNREACHABLE.value,
        "stage": message.stage,
        "status": "open",
        "owner_role": OwnerRole.SCHOOL_OFFICE.value,
        "created_date": on,
        "due_date": max(message.school_date, on),
        # Ids only: the office reads who and what on the case page, never from the task.
        "context": {"message_id": message.id, "channel": message.channel},
    }
    task_id = _insert_task(session, values)
    if task_id is None:
        return []
    return [
        AuditDraft(
            kind=AuditKind.TASK_CREATED,
            actor=SYSTEM,
            school_date=message.school_date,
            urn=message.urn,
            upn=message.upn,
            case_id=message.case_id,
            stage=message.stage,
            detail={
                "task_kind": values["kind"],
                "task_id": task_id,
                "due_date": values["due_date"],
                "owner_role": values["owner_role"],
                "message_id": message.id,
            },
        )
    ]
