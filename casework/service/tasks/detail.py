"""The detail every `task.*` audit entry carries (DESIGN.md "Audit export")."""

from __future__ import annotations

from typing import Any

from casework.db.tables import Task


def task_detail(task: Task, **extra: Any) -> dict[str, Any]:
    return {
        "task_kind": task.kind,
        "task_id": task.id,
        "due_date": task.due_date.isoformat(),
        "owner_role": task.owner_role,
        **extra,
    }
