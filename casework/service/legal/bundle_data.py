"""What an evidence bundle shows, read in the approving transaction.

DOMAIN Part 2 §9.2: the register for the year to date with every amendment, the chronology
from the audit trail, every letter and message with its delivery status, the casework tasks
(meetings, visits) with outcomes, the decisions with reasons and factors, the penalty notices,
the court steps (casework.service.legal.bundle_court).
Returned as plain data for the bundle layout and the bundle's data files.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from sqlmodel import Session, col, select

from casework.core.calendar import academic_year_start
from casework.core.codes import CODES
from casework.core.ladder.view import PupilView
from casework.core.legal.penalties import format_pence
from casework.core.marks import SessionMark
from casework.core.measures import measure
from casework.core.policy import Policy
from casework.db.audit_log import iter_entries, to_export
from casework.db.tables import Decision, Mark, Message, PenaltyNotice, Task
from casework.service.legal.bundle_court import court_steps
from casework.service.legal.context import notice_reference, offence_dates
from casework.settings import LONDON
from notifications.messages import formatted_status
from notifications.rendering import html_to_text


def _stamp(value: Any) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if value else ""


def register_extract(db: Session, upn: str, start: date, end: date) -> list[dict[str, Any]]:
    """Each session's mark in the period, the original first and every amendment after it."""
    rows = db.exec(
        select(Mark)
        .where(Mark.upn == upn, Mark.school_date >= start, Mark.school_date <= end)
        .order_by(col(Mark.school_date), col(Mark.session), col(Mark.recorded_at), col(Mark.id))
    ).all()
    slots = []
    for (day, session), versions in groupby(rows, key=lambda m: (m.school_date, m.session)):
        history = list(versions)
        current = history[-1]
        info = CODES.get(current.code)
        slots.append(
            {
                "date": day.isoformat(),
                "weekday": day.strftime("%a"),
                "session": session,
                "code": current.code,
                "meaning": info.meaning if info else current.code,
                "amendments": [(v.code, v.original_code, _stamp(v.recorded_at)) for v in history],
                "amended": len(history) > 1,
            }
        )
    return slots


def register_days(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The extract as the court reads a register: one row a day, AM and PM side by side."""
    days: dict[str, dict[str, Any]] = {}
    for slot in slots:
        day = days.setdefault(
            slot["date"], {"date": slot["date"], "weekday": slot["weekday"], "notes": []}
        )
        day[slot["session"]] = slot["code"]
        if slot["amended"]:
            steps = " → ".join(f"{code} ({at})" for code, _, at in slot["amendments"])
            day["notes"].append(f"{slot['session']}: {steps}")
    return list(days.values())


def code_legend(slots: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The meaning of every code the extract uses."""
    return sorted({(s["code"], s["meaning"]) for s in slots})


def _summary(slots: list[dict[str, Any]]) -> dict[str, str]:
    marks = [SessionMark(date.fromisoformat(s["date"]), s["session"], s["code"]) for s in slots]
    m = measure(marks)
    counts: dict[str, int] = {}
    for s in slots:
        counts[s["code"]] = counts.get(s["code"], 0) + 1
    return {
        "possible": str(m.possible),
        "attended": str(m.attended),
        "authorised": str(m.authorised),
        "unauthorised": str(m.unauthorised),
        "percent": f"{m.attendance_percent:.1f}",
        "by_code": ", ".join(f"{code} {n}" for code, n in sorted(counts.items())),
    }


def _chronology(db: Session, upn: str) -> list[dict[str, Any]]:
    return [to_export(e) for e in iter_entries(db, upn=upn)]


def _detail_line(detail: dict[str, Any]) -> str:
    keep = (
        "reason",
        "task_kind",
        "outcome",
        "template",
        "channel",
        "notice_reference",
        "amount_pence",
        "pay_by_date",
        "grounds",
        "due_date",
        "sha256",
    )
    return "; ".join(f"{k}: {detail[k]}" for k in keep if k in detail)


def _messages(db: Session, upn: str) -> list[dict[str, Any]]:
    rows = db.exec(
        select(Message).where(Message.upn == upn).order_by(col(Message.created_at), col(Message.id))
    ).all()
    return [
        {
            "id": m.id,
            "created": _stamp(m.created_at),
            "school_date": m.school_date.isoformat(),
            "channel": m.channel,
            "template": m.template,
            "recipient_role": m.recipient_role,
            "recipient": str(m.context.get("recipient_name") or m.recipient_ref or m.normalised_to),
            "status": formatted_status(m.channel, m.status),
            "subject": m.subject,
            "text": html_to_text(m.body) if m.channel == "letter" else m.body,
            "body": m.body,
        }
        for m in rows
    ]


def _tasks(db: Session, upn: str) -> list[dict[str, Any]]:
    rows = db.exec(
        select(Task).where(Task.upn == upn).order_by(col(Task.created_date), col(Task.id))
    ).all()
    return [
        {
            "id": t.id,
            "kind": t.kind,
            "stage": t.stage or "",
            "created": t.created_date.isoformat(),
            "due": t.due_date.isoformat(),
            "status": t.status,
            "outcome": t.outcome or "",
            "completed": t.completed_date.isoformat() if t.completed_date else "",
            "note": t.note,
        }
        for t in rows
    ]


def _decisions(db: Session, upn: str) -> list[dict[str, Any]]:
    rows = db.exec(select(Decision).where(Decision.upn == upn).order_by(col(Decision.id))).all()
    return [
        {
            "id": d.id,
            "stage": d.stage,
            "status": d.status,
            "requested": d.requested_date.isoformat(),
            "request_reason": d.context.get("reason", ""),
            "decided": d.decided_date.isoformat() if d.decided_date else "",
            "decided_by": d.decided_by or "",
            "reason": d.reason or "",
            "factors": dict(d.factors),
        }
        for d in rows
    ]


def _notices(db: Session, upn: str, names: dict[str, str]) -> list[dict[str, str]]:
    rows = db.exec(
        select(PenaltyNotice).where(PenaltyNotice.upn == upn).order_by(col(PenaltyNotice.id))
    ).all()
    return [
        {
            "reference": notice_reference(n.id or 0),
            "contact_id": n.contact_id,
            "parent": names.get(n.contact_id, n.contact_id),
            "sequence": str(n.sequence),
            "amount": format_pence(n.amount_pence),
            "reduced": format_pence(n.reduced_amount_pence) if n.reduced_amount_pence else "none",
            "issued": n.issued_date.isoformat(),
            "receipt": n.receipt_date.isoformat(),
            "pay_by": n.pay_by_date.isoformat(),
            "status": n.status,
            "paid": f"{format_pence(n.paid_amount_pence)} on {n.paid_date}"
            if n.paid_date and n.paid_amount_pence is not None
            else "",
            "withdrawn": f"{n.withdrawal_grounds} on {n.withdrawn_date}"
            if n.withdrawn_date
            else "",
            "prosecuted": "yes" if n.prosecuted else "no",
        }
        for n in rows
    ]


def _case_facts(decision: Decision, view: PupilView, on: date, policy: Policy) -> dict[str, Any]:
    pupil = view.pupil
    first, last, sessions = offence_dates(decision)
    parents = {c.contact_id: c.name for c in pupil.contacts}
    named = str(decision.context.get("contact_ids", "")).split(",")
    return {
        "pupil": {
            "name": f"{pupil.forename} {pupil.surname}",
            "upn": pupil.upn,
            "dob": pupil.date_of_birth.isoformat(),
            "year_group": pupil.year_group,
        },
        "school_name": view.school_name,
        "urn": decision.urn,
        "la_name": policy.la.name,
        "decision_id": decision.id,
        "decided_by": decision.decided_by or "",
        "decided_on": (decision.decided_date or on).isoformat(),
        "reason": decision.reason or "",
        "period": {"start": first.isoformat(), "end": last.isoformat(), "sessions": sessions},
        "extract_from": academic_year_start(first).isoformat(),
        "extract_to": on.isoformat(),
        "lay_by_date": str(decision.context.get("lay_by_date", "")),
        "prosecuted": [parents.get(c, c) for c in named if c],
    }


def gather(
    db: Session, decision: Decision, view: PupilView, on: date, policy: Policy
) -> dict[str, Any]:
    """Everything the bundle shows, read in the caller's transaction."""
    facts = _case_facts(decision, view, on, policy)
    upn = decision.upn
    slots = register_extract(db, upn, date.fromisoformat(facts["extract_from"]), on)
    chronology = [
        {**r, "summary": _detail_line(r["detail"]), "at_short": r["at"][:16].replace("T", " ")}
        for r in _chronology(db, upn)
    ]
    names = {c.contact_id: c.name for c in view.pupil.contacts}
    return {
        **facts,
        "register": slots,
        "register_days": register_days(slots),
        "legend": code_legend(slots),
        "summary": _summary(slots),
        "chronology": chronology,
        "messages": _messages(db, upn),
        "tasks": _tasks(db, upn),
        "decisions": _decisions(db, upn),
        "notices": _notices(db, upn, names),
        "court": court_steps(db, decision, chronology, names),
    }
