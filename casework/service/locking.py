"""Human writes claim their row before they change it: two officers at once cannot both win.

Every human write (a decision, a task's acknowledgement, completion or assignment, a payment, a
withdrawal) loads its row with `claim` and changes its status with `move_status`:

- `claim` is `SELECT … FOR UPDATE` on PostgreSQL, so a second writer waits for the first to
  commit and then reads what the first wrote. SQLite has no row locks; there every write
  transaction begins IMMEDIATE (casework.db.session), which serialises writers the same way.
- `move_status` is a compare-and-set (`UPDATE … SET status = new WHERE id = … AND status =
  expected`) checked by its row count, on both databases: a row that changed since it was read
  is refused even on a path that read it without a lock.

The loser gets a `Conflict` naming who did what and when ("this decision was already approved by
X at …"), raised before anything is written, so its whole transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select

from casework.core.audit import AuditKind
from casework.core.ladder.recipients import long_date
from casework.core.lifecycle import (
    DECISION_MOVES,
    NOTICE_MOVES,
    TASK_MOVES,
    DecisionStatus,
    IllegalTransition,
    NoticeStatus,
    TaskStatus,
    check_move,
)
from casework.db.tables import AuditEntry, Decision, PenaltyNotice, Task
from casework.service.errors import Conflict, InvalidRequest
from casework.settings import LONDON

M = TypeVar("M", bound=SQLModel)

# How far back to look for the entry that says who made the change (entries of one school).
_LOOKBACK = 500

_TASK_KINDS = {
    TaskStatus.COMPLETED.value: (AuditKind.TASK_COMPLETED, "completed"),
    TaskStatus.ACKNOWLEDGED.value: (AuditKind.TASK_ACKNOWLEDGED, "acknowledged"),
}
_NOTICE_KINDS = {
    "paid": AuditKind.NOTICE_PAID,
    "withdrawn": AuditKind.NOTICE_WITHDRAWN,
    "expired": AuditKind.NOTICE_EXPIRED,
}


def claim(db: Session, model: type[M], row_id: int) -> M | None:
    """The row, locked against other writers until this transaction ends (PostgreSQL)."""
    return db.get(model, row_id, with_for_update=True, populate_existing=True)


def compare_and_set(db: Session, row: Decision | Task | PenaltyNotice, new: str) -> bool:
    """Set the row's status to `new` only if it still holds the status read; whether it did."""
    table = cast(sa.Table, sa.inspect(type(row)).local_table)
    same = sa.and_(table.c.id == row.id, table.c.status == row.status)
    result = db.execute(sa.update(table).where(same).values(status=new))
    if cast(Any, result).rowcount != 1:
        db.refresh(row)  # what the other writer left
        return False
    set_committed_value(row, "status", new)
    return True


def move_status(
    db: Session, row: Decision | Task | PenaltyNotice, new: str, refused: Callable[[], str]
) -> None:
    """Compare-and-set the status from what was read to `new`; `Conflict(refused())` if not."""
    if not compare_and_set(db, row, new):
        raise Conflict(refused())


def when(at: datetime | None) -> str:
    """A moment as staff read it: 14:05 on 3 December 2026 (UK time)."""
    if at is None:
        return "an unknown time"
    moment = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LONDON)
    return f"{moment:%H:%M} on {long_date(moment.date())}"


def _last_entry(db: Session, kind: AuditKind, urn: str | None, key: str, value: object) -> Any:
    rows = db.exec(
        select(AuditEntry)
        .where(AuditEntry.kind == kind.value, AuditEntry.urn == urn)
        .order_by(col(AuditEntry.seq).desc())
        .limit(_LOOKBACK)
    )
    return next((row for row in rows if row.detail.get(key) == value), None)


def _by(entry: AuditEntry | None) -> str:
    if entry is None:
        return ""
    return f" by {entry.actor} at {when(entry.at)}"


def decision_taken(decision: Decision) -> str:
    """Why a decision can no longer be decided: who decided it and when."""
    return (
        f"this decision was already {decision.status} by {decision.decided_by or 'someone'} "
        f"at {when(decision.decided_at)}"
    )


def decide_status(db: Session, decision: Decision, new: DecisionStatus) -> None:
    """Move a claimed decision from requested to approved or declined, or refuse."""
    try:
        check_move(DECISION_MOVES, DecisionStatus(decision.status), new)
    except IllegalTransition:
        raise Conflict(decision_taken(decision)) from None
    move_status(db, decision, new.value, lambda: decision_taken(decision))


def move_task(db: Session, task: Task, new: TaskStatus) -> None:
    """Move a claimed task along TASK_MOVES, or refuse naming who got there first."""
    try:
        check_move(TASK_MOVES, TaskStatus(task.status), new)
    except IllegalTransition:
        raise Conflict(task_taken(db, task)) from None
    move_status(db, task, new.value, lambda: task_taken(db, task))


def task_taken(db: Session, task: Task) -> str:
    """Why a task cannot take this write: who completed or acknowledged it, and when."""
    kind, verb = _TASK_KINDS.get(task.status, (None, task.status))
    entry = _last_entry(db, kind, task.urn, "task_id", task.id) if kind else None
    already = "" if task.status == TaskStatus.COMPLETED.value else "already "
    return f"this task was {already}{verb}{_by(entry)}"


def assigned_meanwhile(db: Session, task: Task) -> str:
    """Why an assignment made from an out-of-date page is refused."""
    entry = _last_entry(db, AuditKind.TASK_ASSIGNED, task.urn, "task_id", task.id)
    owner = task.owner_email or "nobody"
    return (
        f"this task was assigned to {owner}{_by(entry)} while you were looking; "
        "nothing was changed: check the owner and assign again if you still want to"
    )


def move_notice(db: Session, notice: PenaltyNotice, new: str, reference: str, urn: str) -> None:
    """Move a claimed notice's status as NOTICE_MOVES allows, by compare-and-set.

    A move the table forbids is an InvalidRequest; losing the race to another writer is a
    Conflict naming who did what.
    """
    try:
        check_move(NOTICE_MOVES, NoticeStatus(notice.status), NoticeStatus(new))
    except IllegalTransition as exc:
        raise InvalidRequest(
            f"penalty notice {reference} is {notice.status}: it cannot be {new}"
        ) from exc
    move_status(db, notice, new, lambda: notice_taken(db, notice, reference, urn))


def notice_taken(db: Session, notice: PenaltyNotice, reference: str, urn: str) -> str:
    """Why a notice cannot take a payment or withdrawal: what happened to it, by whom, when."""
    kind = _NOTICE_KINDS.get(notice.status)
    entry = _last_entry(db, kind, urn, "notice_id", notice.id) if kind else None
    return f"penalty notice {reference} was already {notice.status}{_by(entry)}"
