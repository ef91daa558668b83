"""After a prosecution is approved (DOMAIN.md rule 37): lay the information, record the outcome.

Approval opens a `lay_information` task due `prosecution_warning_weeks` before the 6-month limit.
Completing it with `laid` (its `--on` date is the date laid) is refused past the limit; in time,
it records `court.information_laid` and opens a `court_outcome` task. The court's outcome
(casework.core.legal.court) is recorded as `court.outcome`; an adjournment opens the next
hearing's `court_outcome` task, a parenting order a `parenting_order_review` task at its end.
Both hooks are listed in casework/service/tasks/hooks.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.legal.court import CourtOutcome, laying_problems, read_court_outcome
from casework.core.legal.penalties import ProsecutionClock, add_months
from casework.core.policy import Policy
from casework.db.tables import Task
from casework.service.errors import InvalidRequest
from casework.service.legal.approval import refuse_on
from casework.service.proposals import Target, apply_proposals, audit_draft


def lay_information_task(decision_key: str, clock: ProsecutionClock) -> OpenTask:
    """Opened when the prosecution is approved: due when the limit's warning starts."""
    return OpenTask(
        TaskKind.LAY_INFORMATION,
        f"{decision_key}:lay",
        clock.warn_from_date,
        OwnerRole.LA_OFFICER,
        Stage.PROSECUTION,
        context={"decision_key": decision_key, "lay_by_date": clock.lay_by_date.isoformat()},
    )


def _target(task: Task, actor: str, on: date) -> Target:
    if task.upn is None or task.case_id is None:
        raise InvalidRequest(f"task {task.id} names no pupil")
    return Target(task.urn, on, task.upn, task.case_id, actor=actor)


def _court_task(decision_key: str, hearing: int, due: date) -> OpenTask:
    return OpenTask(
        TaskKind.COURT_OUTCOME,
        f"{decision_key}:court:{hearing}",
        due,
        OwnerRole.LA_OFFICER,
        Stage.PROSECUTION,
        context={"decision_key": decision_key, "hearing": str(hearing)},
    )


def record_laying(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    """`laid` on `on`: refused past the 6-month limit; then the court's outcome is awaited."""
    del outcome  # `laid` is the only outcome
    lay_by = date.fromisoformat(str(task.context["lay_by_date"]))
    refuse_on(laying_problems(on, lay_by))
    key, t = str(task.context["decision_key"]), _target(task, actor, on)
    detail = {"decision_key": key, "laid_date": on.isoformat(), "lay_by_date": lay_by.isoformat()}
    due = on + timedelta(weeks=policy.legal.court_outcome_due_weeks)
    proposals: list[Proposal] = [_court_task(key, 1, due)]
    return [
        audit_draft(t, AuditKind.INFORMATION_LAID, Stage.PROSECUTION.value, detail),
        *apply_proposals(db, t, proposals, now),
    ]


def _after(found: CourtOutcome, task: Task, on: date) -> list[Proposal]:
    key = str(task.context["decision_key"])
    if found.next_hearing is not None:
        hearing = int(task.context.get("hearing") or 1) + 1
        return [_court_task(key, hearing, found.next_hearing)]
    if found.parenting_order and found.term_months:
        ends = add_months(on, found.term_months)
        review = OpenTask(
            TaskKind.PARENTING_ORDER_REVIEW,
            f"{key}:parenting_order",
            ends,
            OwnerRole.LA_OFFICER,
            Stage.PROSECUTION,
            context={"decision_key": key, "order_ends": ends.isoformat()},
        )
        return [review]
    return []


def record_court_outcome(
    db: Session, task: Task, outcome: str, actor: str, on: date, now: datetime, policy: Policy
) -> list[AuditDraft]:
    """The court's outcome with its details (from the task's note), and what follows it."""
    del policy
    found = read_court_outcome(outcome, task.note, on)
    if isinstance(found, list):
        refuse_on(found)
        return []
    t = _target(task, actor, on)
    detail: dict[str, object] = {
        "decision_key": task.context.get("decision_key"),
        "outcome": found.outcome,
        "fine_pence": found.fine_pence,
        "parenting_order": found.parenting_order,
        "term_months": found.term_months,
        "next_hearing": found.next_hearing.isoformat() if found.next_hearing else None,
    }
    drafts = [audit_draft(t, AuditKind.COURT_OUTCOME, Stage.PROSECUTION.value, detail)]
    return drafts + apply_proposals(db, t, _after(found, task, on), now)
