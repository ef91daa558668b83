"""Letters from the outbox: the PDF rendered, a `letters` row, and a task to post it.

A letter message's body is its HTML page (rendered at enqueue). Dispatch turns it into a PDF in
the letters folder outside any transaction (WeasyPrint takes ~0.5 s a page), then records the
letter, the school office's `letter_to_post` task and the message as sent in one transaction.
Writing the same PDF twice is harmless, which is why a stale letter is simply queued again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import OwnerRole, TaskKind
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import Letter, Message, Task
from casework.settings import Settings
from notifications.letters import render_letter_pdf, stored_letter_path
from notifications.messages import MessageStatus, can_move
from notifications.outbox import OutcomeKind, SendOutcome, record_result
from notifications.pacing import RetryPolicy, outcome_for_error
from notifications.providers import RetryableSendError
from notifications.trail import SYSTEM, message_event
from notifications.transitions import move

log = logging.getLogger(__name__)
PROVIDER = "letters"


def _insert_once(session: Session, model: Any, values: dict[str, Any]) -> tuple[int, bool]:
    """(id, inserted?) for a row keyed by its unique `key`; an existing row is left alone."""
    table: sa.Table = model.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    new_id = session.execute(statement.returning(table.c.id)).scalar()
    if new_id is not None:
        return int(new_id), True
    existing = session.execute(sa.select(table.c.id).where(table.c.key == values["key"])).scalar()
    return int(existing or 0), False


def _letter_values(message: Message, path: str, sha256: str, now: datetime) -> dict[str, Any]:
    return {
        "key": message.idempotency_key,
        "template": message.template,
        "case_id": message.case_id,
        "upn": message.upn,
        "urn": message.urn,
        "stage": message.stage,
        "recipient_ref": message.recipient_ref,
        "school_date": message.school_date,
        "status": "rendered",
        "context": {"message_id": message.id},
        "path": path,
        "sha256": sha256,
        "created_at": now,
        "rendered_at": now,
    }


def _task_values(message: Message, letter_id: int, on: date) -> dict[str, Any]:
    return {
        "key": f"{message.idempotency_key}:post",
        "case_id": message.case_id,
        "upn": message.upn,
        "urn": message.urn,
        "kind": TaskKind.LETTER_TO_POST.value,
        "stage": message.stage,
        "status": "open",
        "owner_role": OwnerRole.SCHOOL_OFFICE.value,
        "created_date": on,
        "due_date": max(message.school_date, on),
        "context": {"message_id": message.id, "letter_id": letter_id},
    }


def _task_event(message: Message, task_id: int, values: dict[str, Any]) -> AuditDraft:
    return AuditDraft(
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


def _record_letter(
    session: Session, message: Message, pdf: tuple[str, str], on: date, now: datetime
) -> list[AuditDraft]:
    path, sha256 = pdf
    letter_id, new_letter = _insert_once(
        session, Letter, _letter_values(message, path, sha256, now)
    )
    task_values = _task_values(message, letter_id, on)
    task_id, new_task = _insert_once(session, Task, task_values)
    drafts: list[AuditDraft] = []
    if new_letter:
        drafts.append(
            message_event(AuditKind.LETTER_RENDERED, message, letter_id=letter_id, sha256=sha256)
        )
    if new_task:
        drafts.append(_task_event(message, task_id, task_values))
    message.provider, message.provider_ref = PROVIDER, f"letter-{letter_id}"
    return drafts + move(session, message, MessageStatus.SENT, now)


def post_letter(engine: Engine, settings: Settings, message: Message, now: datetime) -> bool:
    """Render one claimed letter message to PDF and record it; False if it could not be."""
    try:
        path, sha256 = render_letter_pdf(
            message.body, settings.letters_dir, f"message-{message.id}"
        )
    except Exception as exc:  # any failure is recorded on the row, not raised
        reason = f"letter render failed: {type(exc).__name__}"
        log.warning(reason, extra={"message_id": message.id, "template": message.template})
        # A full disk or a locked folder can clear; a letter that does not render will not.
        outcome = (
            outcome_for_error(
                RetryableSendError(reason),
                PROVIDER,
                message.attempts,
                RetryPolicy.from_settings(settings),
                now,
                message.created_at,
            )
            if isinstance(exc, OSError)
            else SendOutcome(OutcomeKind.TECHNICAL, PROVIDER, reason=reason)
        )
        record_result(engine, message.id or 0, outcome, now)
        return False
    on = now.astimezone(settings.tz).date()
    with unit_of_work(engine) as session:
        row = session.exec(select(Message).where(Message.id == message.id).with_for_update()).one()
        if not can_move(row.status, MessageStatus.SENT):
            return False
        stored = stored_letter_path(settings.var_dir, path)  # found again from any directory
        append_entries(session, _record_letter(session, row, (stored, sha256), on, now), now)
    return True
