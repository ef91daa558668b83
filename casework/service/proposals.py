"""Apply the ladder's proposals: rows + audit entries + outbox rows in the caller's one transaction.

Every insert is `ON CONFLICT (key) DO NOTHING ... RETURNING`, and audit entries are written only
for rows that were really inserted; so a re-run sweep, a crashed sweep run again, or two sweeps
racing each other record each action exactly once (STYLE.md rule 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import (
    CloseStage,
    DataAlert,
    EnterStage,
    MakeReferral,
    OpenTask,
    OwnerRole,
    Proposal,
    QueueMessage,
    RequestDecision,
    TaskKind,
)
from casework.db.audit_log import append_entries
from casework.db.tables import Case, Decision, Referral, StageEntry, Task
from notifications.outbox import MessageDraft, cancel_queued, queue_drafts
from notifications.rendering import Rendered, render

SYSTEM = "system"


@dataclass
class Applied:
    """What one apply call really changed (for summaries)."""

    audit: list[AuditDraft] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.audit)


def insert_new(
    session: Session, table: type[SQLModel], rows: Sequence[Mapping[str, Any]], key: str = "key"
) -> dict[str, int]:
    """Insert rows whose `key` is new; returns {key: id} of the rows actually inserted."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = table.__table__.c  # type: ignore[attr-defined]
    id_column = columns.id if "id" in columns else columns.seq
    stmt = (
        insert(table.__table__)  # type: ignore[attr-defined]
        .on_conflict_do_nothing(index_elements=[key])
        .returning(columns[key], id_column)
    )
    inserted: dict[str, int] = {}
    for chunk_start in range(0, len(rows), 500):
        chunk = list(rows[chunk_start : chunk_start + 500])
        for row_key, row_id in session.execute(stmt, chunk):
            inserted[row_key] = row_id
    return inserted


def ensure_cases(
    session: Session, upns: Iterable[str], urn: str, on: date, now: datetime
) -> dict[str, int]:
    """The case id of each pupil, opening a case on the first proposal about them."""
    wanted = sorted(set(upns))
    if not wanted:
        return {}
    rows = [{"upn": upn, "urn": urn, "opened_date": on, "opened_at": now} for upn in wanted]
    insert_new(session, Case, rows, key="upn")
    found = session.execute(sa.select(col(Case.upn), col(Case.id)).where(col(Case.upn).in_(wanted)))
    return {str(row[0]): int(row[1]) for row in found}


@dataclass(frozen=True)
class Target:
    """Who the proposals are about and when: one pupil (or a school), one school date."""

    urn: str
    school_date: date
    upn: str | None
    case_id: int | None
    actor: str = SYSTEM


def audit_draft(
    target: Target, kind: AuditKind, stage: str | None, detail: Mapping[str, Any]
) -> AuditDraft:
    """An audit entry about `target`, dated its school date and signed by its actor."""
    return AuditDraft(
        kind=kind,
        actor=target.actor,
        school_date=target.school_date,
        urn=target.urn,
        upn=target.upn,
        case_id=target.case_id,
        stage=stage,
        detail=detail,
    )


def _target_row(t: Target, key: str, **columns: Any) -> dict[str, Any]:
    """A row keyed `key` about the target's pupil (case, UPN, school), with `columns`."""
    return {"key": key, "case_id": t.case_id, "upn": t.upn, "urn": t.urn, **columns}


def _stage_row(t: Target, d: EnterStage) -> dict[str, Any]:
    return _target_row(
        t,
        d.key,
        stage=d.stage.value,
        status="open",
        entered_date=t.school_date,
        reason=d.reason,
        context=dict(d.context),
    )


def _stage_entered(t: Target, d: EnterStage, entry_id: int) -> AuditDraft:
    detail = {"key": d.key, "stage_entry_id": entry_id, "reason": d.reason, **d.context}
    return audit_draft(t, AuditKind.STAGE_ENTERED, d.stage.value, detail)


def task_row(t: Target, d: OpenTask) -> dict[str, Any]:
    return _target_row(
        t,
        d.key,
        kind=d.kind.value,
        stage=d.stage.value if d.stage else None,
        status="open",
        owner_role=d.owner_role.value,
        priority=d.priority,
        created_date=t.school_date,
        due_date=d.due_date,
        context=dict(d.context),
    )


def _task_created(t: Target, d: OpenTask, task_id: int) -> AuditDraft:
    return audit_draft(
        t,
        AuditKind.TASK_CREATED,
        d.stage.value if d.stage else None,
        {
            "task_kind": d.kind.value,
            "task_id": task_id,
            "due_date": d.due_date.isoformat(),
            "owner_role": d.owner_role.value,
            "key": d.key,
        },
    )


def _insert_for_all(
    session: Session,
    table: type[SQLModel],
    items: Sequence[tuple[int, Target, Any]],
    row: Callable[[Target, Any], dict[str, Any]],
    audited: Callable[[Target, Any, int], AuditDraft],
    drafts: list[list[AuditDraft]],
) -> None:
    """Insert the rows of every target's items in one statement, and append to each target's
    drafts (by its index) those of its items really inserted; a key named twice is audited
    once, for the first to name it."""
    new = insert_new(session, table, [row(t, d) for _, t, d in items])
    for index, t, d in items:
        row_id = new.pop(d.key, None)
        if row_id is not None:
            drafts[index].append(audited(t, d, row_id))


_STAGES = StageEntry.__table__  # type: ignore[attr-defined]


def _close_stages(
    session: Session, items: Sequence[tuple[Target, CloseStage]], now: datetime
) -> dict[int, list[AuditDraft]]:
    """Close the stage entries of any number of targets, one UPDATE per day and reason (a sweep
    closes thousands); the audit drafts of each target (by id), in the order of its items."""
    # An entry named twice is closed by its first item, with its reason, as one by one did.
    first: dict[str, tuple[date, str]] = {}
    for t, d in items:
        first.setdefault(d.entry_key, (t.school_date, d.reason))
    groups: dict[tuple[date, str], list[str]] = {}
    for key, day_and_reason in first.items():
        groups.setdefault(day_and_reason, []).append(key)
    c = _STAGES.c
    closed: set[str] = set()
    for (day, reason), keys in groups.items():
        statement = (
            sa.update(_STAGES)
            .where(c.key.in_(sorted(keys)), c.status == "open")
            .values(status="closed", closed_date=day, close_reason=reason)
            .returning(c.key)
        )
        closed |= set(session.execute(statement).scalars().all())
    drafts: dict[int, list[AuditDraft]] = {}
    for t, d in items:
        audit = drafts.setdefault(id(t), [])
        if d.entry_key in closed:
            closed.discard(d.entry_key)  # a key closed twice in one batch is audited once
            audit.append(
                audit_draft(
                    t,
                    AuditKind.STAGE_CLOSED,
                    d.stage.value,
                    {"key": d.entry_key, "reason": d.reason},
                )
            )
        if d.retract_messages:
            for message in cancel_queued(session, f"{d.entry_key}:msg:", now):
                audit.append(
                    audit_draft(
                        t,
                        AuditKind.MESSAGE_RETRACTED,
                        d.stage.value,
                        {**_message_detail(message), "action": "cancelled before sending"},
                    )
                )
    return drafts


def _message_detail(message: Any) -> dict[str, Any]:
    detail = {
        "channel": message.channel,
        "template": message.template,
        "recipient_role": message.recipient_role,
        "message_id": message.id,
    }
    if message.recipient_ref:
        detail["contact_id"] = message.recipient_ref
    return detail


def _message_context(d: QueueMessage) -> dict[str, str]:
    return {**d.context, "recipient_name": d.to.name or d.context.get("recipient_name", "")}


def render_messages(decisions: Iterable[Proposal]) -> dict[str, Rendered]:
    """The messages among `decisions` rendered, by key, for `apply_many`: a sweep renders them
    before it takes the write lock, which other schools' sweeps wait on."""
    rendered: dict[str, Rendered] = {}
    for d in decisions:
        if isinstance(d, QueueMessage) and d.key not in rendered:
            context = _message_context(d)
            rendered[d.key] = render(d.template, d.to.channel.value, d.to.language, context)
    return rendered


def _queue_for(
    session: Session,
    items: Sequence[tuple[Target, QueueMessage]],
    now: datetime,
    rendered: Mapping[str, Rendered] | None,
) -> list[tuple[Target, AuditDraft]]:
    """Queue the messages of any number of targets in one pass through the outbox; the audit
    drafts of what was really queued, each with its target."""
    drafts = [
        MessageDraft(
            idempotency_key=d.key,
            channel=d.to.channel.value,
            template=d.template,
            language=d.to.language,
            recipient_role=d.to.role.value,
            recipient_ref=d.to.contact_id,
            normalised_to=d.to.address,
            context=_message_context(d),
            school_date=t.school_date,
            urn=t.urn,
            upn=t.upn,
            case_id=t.case_id,
            stage=d.stage.value if d.stage else None,
        )
        for t, d in items
    ]
    target_of = {d.key: t for t, d in items}
    audit: list[tuple[Target, AuditDraft]] = []
    for message in queue_drafts(session, drafts, now, rendered):
        t = target_of[message.idempotency_key]
        audit.append(
            (t, audit_draft(t, AuditKind.MESSAGE_QUEUED, message.stage, _message_detail(message)))
        )
        if message.idempotency_key.endswith(":retraction"):
            detail = {**_message_detail(message), "action": "correction sent"}
            audit.append((t, audit_draft(t, AuditKind.MESSAGE_RETRACTED, message.stage, detail)))
    return audit


def _request_decisions(
    session: Session, t: Target, items: list[RequestDecision]
) -> list[AuditDraft]:
    rows = [
        _target_row(
            t,
            d.key,
            stage=d.stage.value,
            status="requested",
            requested_date=t.school_date,
            context={**d.context, "reason": d.reason},
        )
        for d in items
    ]
    new = insert_new(session, Decision, rows)
    return [
        audit_draft(
            t,
            AuditKind.DECISION_REQUESTED,
            d.stage.value,
            {"decision_id": new[d.key], "reason": d.reason, **d.context},
        )
        for d in items
        if d.key in new
    ]


def _referrals(
    session: Session, t: Target, items: list[MakeReferral], now: datetime
) -> list[AuditDraft]:
    rows = [
        _target_row(
            t,
            d.key,
            reason=d.reason,
            school_date=t.school_date,
            created_at=now,
            context=dict(d.context),
        )
        for d in items
    ]
    new = insert_new(session, Referral, rows)
    return [
        audit_draft(
            t,
            AuditKind.REFERRAL_MADE,
            "la_referral",
            {"referral_id": new[d.key], "reason": d.reason, **d.context},
        )
        for d in items
        if d.key in new
    ]


def _data_alerts(session: Session, t: Target, items: list[DataAlert]) -> list[AuditDraft]:
    tasks = [
        OpenTask(
            TaskKind.REGISTER_INCOMPLETE,
            d.key,
            t.school_date,
            OwnerRole.SCHOOL_OFFICE,
            context={"reason": d.reason, "session": d.session, **d.context},
        )
        for d in items
    ]
    new = insert_new(session, Task, [task_row(t, task) for task in tasks])
    drafts: list[AuditDraft] = []
    for d, task in zip(items, tasks, strict=True):
        if d.key in new:
            drafts.append(
                audit_draft(
                    t,
                    AuditKind.DATA_ALERT,
                    None,
                    {"reason": d.reason, "session": d.session, **d.context},
                )
            )
            drafts.append(_task_created(t, task, new[d.key]))
    return drafts


def _of(decisions: Sequence[Proposal], kind: type[Any]) -> list[Any]:
    return [d for d in decisions if isinstance(d, kind)]


def apply_proposals(
    session: Session, t: Target, decisions: Sequence[Proposal], now: datetime
) -> list[AuditDraft]:
    """Write one target's proposals; returns the audit drafts for what was really created."""
    return apply_many(session, [(t, decisions)], now)


def apply_many(
    session: Session,
    batch: Sequence[tuple[Target, Sequence[Proposal]]],
    now: datetime,
    rendered: Mapping[str, Rendered] | None = None,
) -> list[AuditDraft]:
    """`apply_proposals` for each target in turn, the outbox written in one pass for all of
    them (a sweep queues messages for hundreds of pupils); the drafts in the same order.

    Args:
        rendered: the batch's messages already rendered (`render_messages`), by key.
    """
    # A sweep's batch is hundreds of pupils: their stages and tasks go in one statement each.
    per_target: list[list[AuditDraft]] = [[] for _ in batch]
    stages = [(i, t, d) for i, (t, ds) in enumerate(batch) for d in _of(ds, EnterStage)]
    _insert_for_all(session, StageEntry, stages, _stage_row, _stage_entered, per_target)
    closes = [(t, d) for t, decisions in batch for d in _of(decisions, CloseStage)]
    closed = _close_stages(session, closes, now)
    for i, (t, _) in enumerate(batch):
        per_target[i] += closed.get(id(t), [])
    tasks = [(i, t, d) for i, (t, ds) in enumerate(batch) for d in _of(ds, OpenTask)]
    _insert_for_all(session, Task, tasks, task_row, _task_created, per_target)
    for (t, decisions), audit in zip(batch, per_target, strict=True):
        audit += _request_decisions(session, t, _of(decisions, RequestDecision))
        audit += _referrals(session, t, _of(decisions, MakeReferral), now)
        audit += _data_alerts(session, t, _of(decisions, DataAlert))
    index = {id(t): i for i, (t, _) in enumerate(batch)}
    messages = [(t, d) for t, decisions in batch for d in _of(decisions, QueueMessage)]
    for t, draft in _queue_for(session, messages, now, rendered):
        per_target[index[id(t)]].append(draft)
    return [draft for audit in per_target for draft in audit]


def write_audit(session: Session, drafts: Sequence[AuditDraft], now: datetime) -> None:
    if drafts:
        append_entries(session, drafts, at=now)
