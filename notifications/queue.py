"""Putting messages into the outbox: drafts rendered at enqueue and inserted idempotently.

A draft's `idempotency_key` is UNIQUE in the outbox, and the insert is `ON CONFLICT DO NOTHING`,
so a re-run sweep or a replayed fallback adds nothing (STYLE.md rule 3, docs/decisions/0003).
The rendered subject and body are kept on the row because the court bundle needs exactly what
was sent, not a re-render from whatever the template says later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from casework.db.tables import Message
from notifications.messages import MessageStatus
from notifications.rendering import Rendered, render

_TABLE: sa.Table = Message.__table__  # type: ignore[attr-defined]
_CHUNK = 500  # keys per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class MessageDraft:
    """One message to one recipient, before it is rendered and queued."""

    idempotency_key: str
    channel: str
    template: str
    language: str
    recipient_role: str
    recipient_ref: str | None
    normalised_to: str
    context: Mapping[str, str]
    school_date: date
    urn: str
    upn: str | None
    case_id: int | None
    stage: str | None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        query = select(Message.idempotency_key).where(col(Message.idempotency_key).in_(chunk))
        found.update(session.exec(query))
    return found


def _bodies(channel: str, rendered: Rendered) -> tuple[str, str]:
    """(body, body_html) for the row: a letter's body is its HTML page, for the PDF."""
    if channel == "letter":
        return rendered.html or "", ""
    if channel == "email":
        return rendered.text, rendered.html or ""
    return rendered.text, ""


def render_draft(draft: MessageDraft) -> Rendered:
    return render(draft.template, draft.channel, draft.language, draft.context)


def _row(draft: MessageDraft, now: datetime, rendered: Rendered | None) -> dict[str, Any]:
    rendered = rendered or render_draft(draft)
    body, body_html = _bodies(draft.channel, rendered)
    return {
        "idempotency_key": draft.idempotency_key,
        "channel": draft.channel,
        "template": draft.template,
        "template_sha256": rendered.template_sha256,
        "language": draft.language,
        "recipient_role": draft.recipient_role,
        "recipient_ref": draft.recipient_ref,
        "normalised_to": draft.normalised_to,
        "subject": rendered.subject,
        "body": body,
        "body_html": body_html,
        "context": dict(draft.context),
        "status": MessageStatus.QUEUED.value,
        "attempts": 0,
        "school_date": draft.school_date,
        "urn": draft.urn,
        "upn": draft.upn,
        "case_id": draft.case_id,
        "stage": draft.stage,
        "created_at": now,
        "updated_at": now,
    }


class Queued(NamedTuple):
    """A message just put into the outbox: what its audit entry names."""

    id: int
    idempotency_key: str
    channel: str
    template: str
    recipient_role: str
    recipient_ref: str | None
    stage: str | None


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[Queued]:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    c = _TABLE.c
    statement = (
        dialect.insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(
            c.id,
            c.idempotency_key,
            c.channel,
            c.template,
            c.recipient_role,
            c.recipient_ref,
            c.stage,
        )
    )
    return sorted((Queued(*row) for row in session.execute(statement, rows)), key=lambda q: q.id)


def load_messages(session: Session, ids: Sequence[int]) -> list[Message]:
    """The outbox rows with these ids, in id order."""
    messages: list[Message] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        # populate_existing: rows changed by a bulk UPDATE in this session must not come back stale.
        query = select(Message).where(col(Message.id).in_(chunk))
        messages.extend(session.exec(query.execution_options(populate_existing=True)))
    return sorted(messages, key=lambda m: m.id or 0)


def queue_drafts(
    session: Session,
    drafts: Sequence[MessageDraft],
    now: datetime,
    rendered: Mapping[str, Rendered] | None = None,
) -> list[Queued]:
    """Render and queue the drafts not already in the outbox; returns only the rows inserted,
    in id order. The caller writes `message.queued` audit entries for exactly those rows.
    Never commits.

    Args:
        rendered: drafts already rendered, by idempotency key: a sweep renders before it takes
            the write lock, so that other schools' sweeps do not wait while it renders.
    """
    done = rendered or {}
    unique: dict[str, MessageDraft] = {}
    for draft in drafts:
        unique.setdefault(draft.idempotency_key, draft)
    # Skip rendering what is already queued; ON CONFLICT still guards a concurrent insert.
    existing = _existing_keys(session, list(unique))
    rows = [_row(d, now, done.get(key)) for key, d in unique.items() if key not in existing]
    if not rows:
        return []
    return _insert_ignoring_duplicates(session, rows)


def enqueue(session: Session, drafts: Sequence[MessageDraft], now: datetime) -> list[Message]:
    """`queue_drafts`, returning the inserted rows whole."""
    return load_messages(session, [queued.id for queued in queue_drafts(session, drafts, now)])


def cancel_queued(session: Session, key_prefix: str, now: datetime) -> list[Message]:
    """Cancel not-yet-sent messages whose key starts with `key_prefix`; the caller audits them."""
    statement = (
        sa.update(_TABLE)
        .where(
            _TABLE.c.status == MessageStatus.QUEUED.value,
            _TABLE.c.idempotency_key.startswith(key_prefix, autoescape=True),
        )
        .values(status=MessageStatus.CANCELLED.value, updated_at=now)
        .returning(_TABLE.c.id)
    )
    ids = [int(i) for i in session.execute(statement).scalars()]
    return load_messages(session, ids)
