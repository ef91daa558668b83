"""The evidence bundle re-made after each court step (DOMAIN rules 26 and 37).

The bundle made when the prosecution is approved cannot hold what happens after it. Laying the
information and each court outcome therefore re-make it — a new folder beside the first, never
an overwrite, with its own `bundle.created` entry — so the latest bundle shows the interviews,
the date laid, the court's outcome and every letter sent to the family up to that step.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from casework.core.audit import AuditDraft
from casework.core.ladder.proposals import TaskKind
from casework.core.policy import Policy
from casework.db.tables import Decision, Task
from casework.service.legal.bundle import create_bundle
from casework.service.legal.context import load_view
from casework.service.proposals import Target

# The task kinds whose completion re-makes the bundle, and the folder suffix each gives.
REMADE_AFTER = {
    TaskKind.LAY_INFORMATION.value: "laid",
    TaskKind.COURT_OUTCOME.value: "court",
}


def remake_bundle(
    db: Session, task: Task, actor: str, on: date, policy: Policy, var_dir: Path
) -> list[AuditDraft]:
    """The bundle of the prosecution the task belongs to, re-made with the step just recorded."""
    suffix = REMADE_AFTER.get(task.kind)
    key = str(task.context.get("decision_key") or "")
    decision = db.exec(select(Decision).where(Decision.key == key)).first() if key else None
    if suffix is None or decision is None or task.upn is None:
        return []
    if task.kind == TaskKind.COURT_OUTCOME.value:
        suffix = f"court{task.context.get('hearing') or 1}"
    view = load_view(db, decision.urn, decision.upn, on)
    target = Target(task.urn, on, task.upn, task.case_id, actor=actor)
    made = create_bundle(db, decision, view, var_dir, target, policy, label=suffix)
    return [made.audit]
