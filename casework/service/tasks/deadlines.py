"""The early-morning deadlines run: overdue tasks go to a manager's queue; legal clocks tick.

Every step is keyed or guarded by status, so running it twice on the same date changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.lifecycle import TaskStatus
from casework.core.policy import Policy
from casework.db.session import unit_of_work
from casework.db.tables import Task
from casework.service.legal.payments import expire_unpaid_notices
from casework.service.legal.reminders import remind_unpaid_notices
from casework.service.locking import compare_and_set
from casework.service.proposals import write_audit
from casework.service.tasks.detail import task_detail


@dataclass(frozen=True)
class DeadlineResult:
    on: date
    overdue: int
    audit_entries: int
    steps: dict[str, int] = field(default_factory=dict)


def mark_overdue(db: Session, on: date, policy: Policy, now: datetime) -> list[AuditDraft]:
    """Open or acknowledged tasks past their due date become overdue, in a manager's queue."""
    late = db.exec(
        select(Task).where(
            col(Task.status).in_([TaskStatus.OPEN.value, TaskStatus.ACKNOWLEDGED.value]),
            Task.due_date < on,
        )
    ).all()
    drafts = []
    manager = policy.tasks.overdue_escalates_to
    for task in late:
        # A caseworker completing the task meanwhile wins: it is not reopened as overdue.
        if not compare_and_set(db, task, TaskStatus.OVERDUE.value):
            continue
        task.context = {**task.context, "escalated_from": task.owner_role}
        task.owner_role = manager
        drafts.append(
            AuditDraft(
                kind=AuditKind.TASK_OVERDUE,
                actor="system",
                school_date=on,
                urn=task.urn,
                upn=task.upn,
                case_id=task.case_id,
                stage=task.stage,
                detail=task_detail(task, escalated_to=manager),
            )
        )
    return drafts


DeadlineStep = Callable[[Session, date, Policy, datetime], list[AuditDraft]]

# Every clock the morning run ticks, in order: overdue tasks first, then the payment windows of
# penalty notices (DOMAIN rule 25) and the reminder before a window ends. A new clock is a new
# line here.
DEADLINE_STEPS: tuple[DeadlineStep, ...] = (expire_unpaid_notices, remind_unpaid_notices)


def run_deadlines(engine: Engine, on: date, *, policy: Policy, now: datetime) -> DeadlineResult:
    """Overdue tasks, then every registered clock, in one transaction."""
    with unit_of_work(engine) as db:
        drafts = mark_overdue(db, on, policy, now)
        overdue = len(drafts)
        steps: dict[str, int] = {}
        for step in DEADLINE_STEPS:
            produced = step(db, on, policy, now)
            steps[step.__name__] = len(produced)
            drafts += produced
        write_audit(db, drafts, now)
    return DeadlineResult(on, overdue, len(drafts), steps)
