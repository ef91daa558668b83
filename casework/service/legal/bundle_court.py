"""The court steps of a prosecution, as the evidence bundle shows them (DOMAIN rules 36-37).

Each parent's interview under caution (invited on, respond by, interpreter offered, outcome),
the information laid (date laid against the 6-month limit), each hearing's outcome (fine,
parenting order and its term, next hearing) and the parenting order's review. Read from the
decision's tasks and the audit trail's `court.*` entries, so a bundle re-made after a court step
shows it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from casework.core.audit import AuditKind
from casework.core.ladder.proposals import TaskKind
from casework.core.legal.penalties import format_pence
from casework.db.tables import Decision, Task

INTERVIEW_OUTCOMES = {
    "attended": "attended the interview",
    "declined": "declined the interview",
    "no_response": "did not respond to the invitation",
}


def _interviews(tasks: list[Task], key: str, names: dict[str, str]) -> list[dict[str, str]]:
    prefix = f"{key}:iuc:"
    return [
        {
            "parent": names.get(str(t.context.get("contact_id")), str(t.context.get("contact_id"))),
            "invited_on": str(t.context.get("invited_on", t.created_date.isoformat())),
            "respond_by": t.due_date.isoformat(),
            "interpreter_offered": str(t.context.get("interpreter_offered", "false")),
            "outcome": INTERVIEW_OUTCOMES.get(t.outcome or "", t.outcome or "not yet recorded"),
            "recorded_on": t.completed_date.isoformat() if t.completed_date else "",
        }
        for t in tasks
        if t.kind == TaskKind.INTERVIEW_UNDER_CAUTION.value and t.key.startswith(prefix)
    ]


def _hearing(detail: dict[str, Any], school_date: str) -> dict[str, str]:
    fine = detail.get("fine_pence")
    order = bool(detail.get("parenting_order"))
    term = detail.get("term_months")
    return {
        "date": school_date,
        "outcome": str(detail.get("outcome", "")),
        "fine": format_pence(int(fine)) if isinstance(fine, int) else "",
        "parenting_order": f"yes, {term} months" if order else "no",
        "next_hearing": str(detail.get("next_hearing") or ""),
    }


def court_steps(
    db: Session, decision: Decision, chronology: list[dict[str, Any]], names: dict[str, str]
) -> dict[str, Any]:
    """The interviews, the information laid, the hearings and the order's review, if any yet."""
    tasks = list(db.exec(select(Task).where(Task.upn == decision.upn).order_by(col(Task.id))).all())
    mine = [e for e in chronology if (e.get("detail") or {}).get("decision_key") == decision.key]
    laid = [
        {"laid_date": str(e["detail"]["laid_date"]), "lay_by_date": str(e["detail"]["lay_by_date"])}
        for e in mine
        if e["kind"] == AuditKind.INFORMATION_LAID.value
    ]
    hearings = [
        _hearing(e["detail"], str(e["school_date"]))
        for e in mine
        if e["kind"] == AuditKind.COURT_OUTCOME.value
    ]
    reviews = [
        {"due": t.due_date.isoformat(), "status": t.status}
        for t in tasks
        if t.kind == TaskKind.PARENTING_ORDER_REVIEW.value and t.key.startswith(f"{decision.key}:")
    ]
    return {
        "interviews": _interviews(tasks, decision.key, names),
        "laid": laid,
        "hearings": hearings,
        "order_reviews": reviews,
    }
