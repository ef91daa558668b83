"""Caseworker task use cases: acknowledge, complete with an outcome, assign, find.

Completing a task feeds the ladder: the outcome's follow-ups (casework.core.ladder.outcomes) are
decided on the pupil's current view and written in the same transaction as the completion.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.calendar import RegisterSession
from casework.core.ladder.guards import apply_guards
from casework.core.ladder.outcomes import OUTCOMES as _OUTCOMES
from casework.core.ladder.outcomes import follow_up
from casework.core.lifecycle import OPEN_TASK_STATUSES, TaskStatus
from casework.core.permissions import Action, task_action
from casework.core.policy import Policy, load_policy
from casework.db.session import unit_of_work
from casework.db.snapshots import load_school
from casework.db.tables import Task
from casework.service.authority import check_actor
from casework.service.errors import Conflict, InvalidRequest, NotFound
from casework.service.legal.bundle_refresh import REMADE_AFTER, remake_bundle
from casework.service.locking import assigned_meanwhile, claim, move_task, task_taken
from casework.service.proposals import Target, apply_proposals, write_audit
from casework.service.tasks.detail import task_detail
from casework.service.tasks.hooks import COMPLETION_HOOKS
from casework.settings import Settings

OUTCOMES: Mapping[str, tuple[str, ...]] = {str(k): v for k, v in _OUTCOMES.items()}


def _audit(task: Task, kind: AuditKind, actor: str, on: date, **extra: Any) -> AuditDraft:
    return AuditDraft(
        kind=kind,
        actor=actor,
        school_date=on,
        urn=task.urn,
        upn=task.upn,
        case_id=task.case_id,
        stage=task.stage,
        detail=task_detail(task, **extra),
    )


def _get(db: Session, task_id: int) -> Task:
    """The task, locked: a second officer's write waits for this one and is then refused."""
    task = claim(db, Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def acknowledge_task(engine: Engine, task_id: int, *, actor: str, on: date, now: datetime) -> None:
    """A caseworker has seen the task and is on it."""
    with unit_of_work(engine) as db:
        task = _get(db, task_id)
        move_task(db, task, TaskStatus.ACKNOWLEDGED)
        task.acknowledged_at = now
        write_audit(db, [_audit(task, AuditKind.TASK_ACKNOWLEDGED, actor, on)], now)


def _follow_ups(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    if task.upn is None:
        return []
    snapshot = load_school(db, task.urn, on, RegisterSession.PM, only_upn=task.upn)
    if snapshot is None or not snapshot.pupils:
        return []
    view = snapshot.pupils[0]
    decisions = apply_guards(view, policy, follow_up(view, policy, task.kind, outcome, task.key))
    target = Target(task.urn, on, task.upn, task.case_id, actor=actor)
    return apply_proposals(db, target, decisions, now)


def complete_task(
    engine: Engine,
    task_id: int,
    *,
    outcome: str,
    actor: str,
    on: date,
    now: datetime,
    note: str = "",
    policy: Policy | None = None,
    var_dir: Path | None = None,
) -> None:
    """Record the outcome; what it sets going is decided and written in the same transaction.

    A court step re-makes the prosecution's evidence bundle under `var_dir` (default: the
    settings' var folder), so the bundle holds the step."""
    policy = policy or load_policy()
    with unit_of_work(engine) as db:
        task = _get(db, task_id)
        action = task_action(task.kind)
        if action is not Action.WORK_TASKS:
            # A notice's payment bars prosecution: only the roles the table allows record it.
            check_actor(db, actor, task.urn, action, policy)
        allowed = OUTCOMES.get(task.kind, ())
        if outcome not in allowed:
            raise InvalidRequest(
                f"outcome {outcome!r} is not one of {', '.join(allowed)} for a {task.kind} task"
            )
        move_task(db, task, TaskStatus.COMPLETED)
        task.outcome, task.completed_at, task.completed_date = outcome, now, on
        task.note = note
        drafts = [_audit(task, AuditKind.TASK_COMPLETED, actor, on, outcome=outcome)]
        hook = COMPLETION_HOOKS.get(task.kind)
        if hook is not None:
            drafts += hook(db, task, outcome, actor, on, now, policy)
        drafts += _follow_ups(db, task, outcome, actor, on, now, policy)
        if task.kind in REMADE_AFTER:
            write_audit(db, drafts, now)  # the re-made bundle's chronology holds this step
            folder = var_dir or Settings().var_dir
            drafts = remake_bundle(db, task, actor, on, policy, folder)
        write_audit(db, drafts, now)


def assign_task(
    engine: Engine,
    task_id: int,
    *,
    owner_email: str,
    actor: str,
    now: datetime,
    on: date | None = None,
    seen_owner: str | None = None,
) -> None:
    """Give the task to a named person (it stays in their role's queue too).

    `seen_owner` is the owner the caller saw ("" for nobody): if someone else assigned the task
    since, the assignment is refused rather than silently overwriting theirs.
    """
    with unit_of_work(engine) as db:
        task = _get(db, task_id)
        if task.status not in OPEN_TASK_STATUSES:
            raise Conflict(task_taken(db, task))
        if seen_owner is not None and (task.owner_email or "") != seen_owner:
            raise Conflict(assigned_meanwhile(db, task))
        task.owner_email = owner_email
        draft = _audit(task, AuditKind.TASK_ASSIGNED, actor, on or now.date(), owner=owner_email)
        write_audit(db, [draft], now)


def find_open_task(engine: Engine, upn: str, kind: str) -> int:
    """The id of the one open task of `kind` for the pupil; an error if none or several."""
    with Session(engine) as db:
        ids = list(
            db.exec(
                select(Task.id).where(
                    Task.upn == upn,
                    Task.kind == kind,
                    col(Task.status).in_([s.value for s in OPEN_TASK_STATUSES]),
                )
            )
        )
    if not ids:
        raise NotFound(f"no open {kind} task for pupil {upn}")
    if len(ids) > 1:
        raise InvalidRequest(f"{len(ids)} open {kind} tasks for pupil {upn}: name one by id")
    task_id = ids[0]
    assert task_id is not None
    return task_id


def list_tasks(
    engine: Engine, *, urn: str | None = None, upn: str | None = None, open_only: bool = True
) -> list[Task]:
    """Tasks in queue order: severe first, then overdue, then by due date."""
    stmt = sa.select(Task)
    if urn:
        stmt = stmt.where(col(Task.urn) == urn)
    if upn:
        stmt = stmt.where(col(Task.upn) == upn)
    if open_only:
        stmt = stmt.where(col(Task.status).in_([s.value for s in OPEN_TASK_STATUSES]))
    overdue_first = sa.case((col(Task.status) == TaskStatus.OVERDUE.value, 0), else_=1)
    stmt = stmt.order_by(col(Task.priority).desc(), overdue_first, col(Task.due_date), col(Task.id))
    with Session(engine) as db:
        return list(db.scalars(stmt))
