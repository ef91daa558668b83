"""Status transition tables for stages, tasks, decisions and penalty notices; an illegal move
raises."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(ValueError):
    """A status change that the table does not allow (e.g. completing a completed task)."""


class TaskStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    OVERDUE = "overdue"
    COMPLETED = "completed"


class StageStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DecisionStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    CLOSED = "closed"  # no longer needed before anyone decided (rule 25: the notice was paid)


class NoticeStatus(StrEnum):
    """A penalty notice (DOMAIN rules 24-25)."""

    ISSUED = "issued"
    PAID = "paid"
    EXPIRED = "expired"  # unpaid when the payment period ended; prosecute or withdraw
    WITHDRAWN = "withdrawn"


TASK_MOVES: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.ACKNOWLEDGED, TaskStatus.COMPLETED, TaskStatus.OVERDUE}),
    TaskStatus.ACKNOWLEDGED: frozenset({TaskStatus.COMPLETED, TaskStatus.OVERDUE}),
    TaskStatus.OVERDUE: frozenset({TaskStatus.ACKNOWLEDGED, TaskStatus.COMPLETED}),
    TaskStatus.COMPLETED: frozenset(),
}

STAGE_MOVES: Mapping[StageStatus, frozenset[StageStatus]] = {
    StageStatus.OPEN: frozenset({StageStatus.CLOSED}),
    StageStatus.CLOSED: frozenset(),
}

DECISION_MOVES: Mapping[DecisionStatus, frozenset[DecisionStatus]] = {
    DecisionStatus.REQUESTED: frozenset(
        {DecisionStatus.APPROVED, DecisionStatus.DECLINED, DecisionStatus.CLOSED}
    ),
    DecisionStatus.APPROVED: frozenset(),
    DecisionStatus.DECLINED: frozenset(),
    DecisionStatus.CLOSED: frozenset(),
}

# Rule 25: a payment made inside the period but recorded after expiry re-opens the notice as
# paid. Rule 24: withdrawal refunds any payment; nothing follows a withdrawal.
NOTICE_MOVES: Mapping[NoticeStatus, frozenset[NoticeStatus]] = {
    NoticeStatus.ISSUED: frozenset(
        {NoticeStatus.PAID, NoticeStatus.EXPIRED, NoticeStatus.WITHDRAWN}
    ),
    NoticeStatus.EXPIRED: frozenset({NoticeStatus.PAID, NoticeStatus.WITHDRAWN}),
    NoticeStatus.PAID: frozenset({NoticeStatus.WITHDRAWN}),
    NoticeStatus.WITHDRAWN: frozenset(),
}

OPEN_TASK_STATUSES = frozenset({TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED, TaskStatus.OVERDUE})


def check_move(table: Mapping[S, frozenset[S]], current: S, target: S) -> None:
    """Raise IllegalTransition unless `table` allows current -> target."""
    if target not in table[current]:
        raise IllegalTransition(f"cannot move from {current.value} to {target.value}")
