"""What was done, as of a date: open cases by stage, legal steps, penalty notices, overdue tasks.

Rows arrive as plain values (the shell loads them in bulk); each count is worked out as it stood
on the report's `on` date from the rows' dates, so a report for a past date shows that date's
picture even though statuses have moved on since. These are counts of actions, carrying no pupil
characteristics, so they are not broken down by cohort and not suppressed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from casework.core.lifecycle import DecisionStatus, TaskStatus


@dataclass(frozen=True, slots=True)
class StageRow:
    upn: str
    stage: str
    entered_date: date
    closed_date: date | None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    stage: str
    status: str
    requested_date: date
    decided_date: date | None


@dataclass(frozen=True, slots=True)
class NoticeRow:
    issued_date: date
    pay_by_date: date
    paid_date: date | None
    withdrawn_date: date | None


@dataclass(frozen=True, slots=True)
class TaskRow:
    kind: str
    status: str
    created_date: date
    due_date: date
    completed_date: date | None


@dataclass(frozen=True, slots=True)
class ActionCounts:
    open_cases: int = 0  # pupils with at least one open stage
    open_by_stage: Counter[str] = field(default_factory=Counter)
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stage, status)
    notices: Counter[str] = field(default_factory=Counter)  # status
    overdue_tasks: Counter[str] = field(default_factory=Counter)  # task kind
    entered: Counter[str] = field(default_factory=Counter)  # stage -> pupils entering in period

    def __add__(self, other: ActionCounts) -> ActionCounts:
        return ActionCounts(
            self.open_cases + other.open_cases,
            self.open_by_stage + other.open_by_stage,
            self.decisions + other.decisions,
            self.notices + other.notices,
            self.overdue_tasks + other.overdue_tasks,
            self.entered + other.entered,
        )


def is_open_on(row: StageRow, on: date) -> bool:
    return row.entered_date <= on and (row.closed_date is None or row.closed_date > on)


def decision_status_on(row: DecisionRow, on: date) -> str:
    """The decision's status on `on`: a later approval or decline still reads as requested."""
    if row.decided_date is not None and row.decided_date <= on:
        return row.status
    return DecisionStatus.REQUESTED.value


def notice_status_on(row: NoticeRow, on: date) -> str:
    """issued | paid | withdrawn | expired, as it stood on `on`."""
    if row.withdrawn_date is not None and row.withdrawn_date <= on:
        return "withdrawn"
    if row.paid_date is not None and row.paid_date <= on:
        return "paid"
    # Unpaid once the last day to pay has passed: the notice has expired (prosecution or
    # withdrawal follows, recorded separately).
    return "expired" if row.pay_by_date < on else "issued"


def is_overdue_on(row: TaskRow, on: date) -> bool:
    """Created by `on`, due before it, and not completed by then."""
    if row.created_date > on or row.due_date >= on:
        return False
    if row.completed_date is not None:
        return row.completed_date > on
    return row.status != TaskStatus.COMPLETED.value


def count_actions(
    stages: list[StageRow],
    decisions: list[DecisionRow],
    notices: list[NoticeRow],
    tasks: list[TaskRow],
    *,
    start: date,
    end: date,
    on: date,
) -> ActionCounts:
    """Open cases and overdue tasks on `on`; decisions requested and notices issued in
    start..end, each with its status on `on`."""
    open_rows = [row for row in stages if is_open_on(row, on)]
    by_stage = Counter(stage for _upn, stage in {(r.upn, r.stage) for r in open_rows})
    return ActionCounts(
        open_cases=len({row.upn for row in open_rows}),
        open_by_stage=by_stage,
        decisions=Counter(
            (row.stage, decision_status_on(row, on))
            for row in decisions
            if start <= row.requested_date <= end and row.requested_date <= on
        ),
        notices=Counter(
            notice_status_on(row, on)
            for row in notices
            if start <= row.issued_date <= end and row.issued_date <= on
        ),
        overdue_tasks=Counter(row.kind for row in tasks if is_overdue_on(row, on)),
        entered=Counter(
            stage
            for _upn, stage in {
                (r.upn, r.stage)
                for r in stages
                if start <= r.entered_date <= end and r.entered_date <= on
            }
        ),
    )
