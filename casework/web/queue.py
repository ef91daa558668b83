"""The task queue query: open tasks in scope, filtered, in the order caseworkers work them.

Order: priority (severe absence first), then overdue, then due date, then age. Counts are over
every matching task, not just the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casework.core.ladder.proposals import OwnerRole
from casework.core.lifecycle import OPEN_TASK_STATUSES
from casework.core.permissions import Role, queue_owner_roles
from casework.db.tables import Pupil, School, Task
from casework.web.deps import Scope, Viewer

OPEN_STATUSES: tuple[str, ...] = tuple(sorted(s.value for s in OPEN_TASK_STATUSES))
PAGE_SIZE = 50
OWNER_MINE = "mine"
OWNER_ALL = "all"


DUE_CHOICES: dict[str, str] = {
    "overdue": "Overdue",
    "today": "Due today or before",
    "week": "Due in the next 7 days or before",
}


@dataclass(frozen=True, slots=True)
class QueueFilters:
    kind: str | None = None
    urn: str | None = None
    owner: str = OWNER_MINE
    page: int = 1
    stage: str | None = None
    due: str | None = None  # one of DUE_CHOICES

    def query(self, **changes: object) -> str:
        """This filter's query string with `changes` applied (for links and pages)."""
        values = {
            "owner": self.owner,
            "kind": self.kind or "",
            "school": self.urn or "",
            "stage": self.stage or "",
            "due": self.due or "",
            **{k: "" if v is None else str(v) for k, v in changes.items()},
        }
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True, slots=True)
class QueueRow:
    task: Task
    pupil_name: str
    school_name: str
    is_overdue: bool


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    overdue: int
    by_kind: dict[str, int]
    page: int
    pages: int


def default_owner(viewer: Viewer) -> str:
    """Caseworkers start on their own queue; auditors and admins on everything in scope."""
    return OWNER_ALL if viewer.role in (Role.AUDITOR, Role.ADMIN) else OWNER_MINE


def owner_choices() -> list[str]:
    return [OWNER_MINE, OWNER_ALL, *(role.value for role in OwnerRole)]


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(col(Task.status) == "overdue", col(Task.due_date) < today)


def _owner_clause(viewer: Viewer, owner: str) -> sa.ColumnElement[bool] | None:
    if owner == OWNER_ALL:
        return None
    if owner == OWNER_MINE:
        unassigned_mine = sa.and_(
            col(Task.owner_email).is_(None),
            col(Task.owner_role).in_(sorted(queue_owner_roles(viewer.role))),
        )
        return sa.or_(col(Task.owner_email) == viewer.email, unassigned_mine)
    return col(Task.owner_role) == owner


def _due_clause(due: str | None, today: date) -> sa.ColumnElement[bool] | None:
    if due == "overdue":
        return overdue_clause(today)
    if due == "today":
        return col(Task.due_date) <= today
    if due == "week":
        return col(Task.due_date) <= today + timedelta(days=7)
    return None


def _conditions(viewer: Viewer, filters: QueueFilters, today: date) -> list[sa.ColumnElement[bool]]:
    """Everything but the kind filter, so one grouped query gives the count of every kind."""
    conditions: list[sa.ColumnElement[bool]] = [col(Task.status).in_(OPEN_STATUSES)]
    if filters.urn:
        conditions.append(col(Task.urn) == filters.urn)
    if filters.stage:
        conditions.append(col(Task.stage) == filters.stage)
    due = _due_clause(filters.due, today)
    if due is not None:
        conditions.append(due)
    owner = _owner_clause(viewer, filters.owner)
    if owner is not None:
        conditions.append(owner)
    return conditions


def _counts_by_kind(
    session: Session, scope: Scope, conditions: list[Any], today: date
) -> dict[str, tuple[int, int]]:
    """kind -> (open tasks, overdue tasks) for the matching tasks."""
    overdue = sa.func.sum(sa.case((overdue_clause(today), 1), else_=0))
    stmt = select(Task.kind, sa.func.count(), overdue).where(*conditions).group_by(Task.kind)
    return {
        kind: (int(n), int(late or 0))
        for kind, n, late in session.exec(scope.where(stmt, Task.urn)).all()
    }


def _names(session: Session, tasks: list[Task]) -> tuple[dict[str, str], dict[str, str]]:
    """Pupil and school names for one page of tasks (two small IN queries, no join over all)."""
    upns = sorted({t.upn for t in tasks if t.upn})
    urns = sorted({t.urn for t in tasks})
    pupils = session.exec(
        select(Pupil.upn, Pupil.forename, Pupil.surname).where(col(Pupil.upn).in_(upns))
    ).all()
    schools = session.exec(select(School.urn, School.name).where(col(School.urn).in_(urns))).all()
    return (
        {upn: f"{forename} {surname}" for upn, forename, surname in pupils},
        dict(schools),
    )


def load_queue(
    session: Session, viewer: Viewer, filters: QueueFilters, today: date, page_size: int = PAGE_SIZE
) -> QueuePage:
    """One page of the viewer's queue with its counts."""
    scope = viewer.scope
    conditions = _conditions(viewer, filters, today)
    counts = _counts_by_kind(session, scope, conditions, today)
    chosen = [counts.get(filters.kind, (0, 0))] if filters.kind else list(counts.values())
    total = sum(n for n, _ in chosen)
    overdue = sum(late for _, late in chosen)
    if filters.kind:
        conditions.append(col(Task.kind) == filters.kind)
    pages = max(1, -(-total // page_size))
    page = min(max(1, filters.page), pages)
    is_overdue = sa.case((overdue_clause(today), 0), else_=1)
    stmt = (
        select(Task)
        .where(*conditions)
        .order_by(col(Task.priority).desc(), is_overdue, col(Task.due_date), col(Task.id))
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    tasks = list(session.exec(scope.where(stmt, Task.urn)))
    pupil_names, school_names = _names(session, tasks)
    rows = [
        QueueRow(
            task=task,
            pupil_name=pupil_names.get(task.upn or "", ""),
            school_name=school_names.get(task.urn, task.urn),
            is_overdue=task.status == "overdue" or task.due_date < today,
        )
        for task in tasks
    ]
    by_kind = {kind: n for kind, (n, _) in sorted(counts.items())}
    return QueuePage(rows, total, overdue, by_kind, page, pages)


def schools_in_scope(session: Session, scope: Scope) -> list[School]:
    """The schools a viewer may filter by."""
    return list(session.exec(scope.where(select(School).order_by(School.name), School.urn)))


def count_open(
    session: Session,
    viewer: Viewer,
    today: date,
    *,
    owner: str,
    kind: str | None = None,
    due: str | None = None,
) -> int:
    """How many open tasks a count card stands for (the same conditions as its list)."""
    conditions = _conditions(viewer, QueueFilters(kind=kind, owner=owner, due=due), today)
    if kind:
        conditions.append(col(Task.kind) == kind)
    stmt = select(sa.func.count()).select_from(Task).where(*conditions)
    return int(session.exec(viewer.scope.where(stmt, Task.urn)).one())
