"""Recording a parent's application for leave of absence (DOMAIN rule 32).

The school office records the dates, the reason and the applicant (a parent with parental
responsibility; the first in priority order unless named). The application opens the pupil's
`leave_of_absence` stage and a decision for the headteacher, in one transaction with their
audit entries. An application recorded on or after its first day is kept, marked as not made
in advance: it can only be declined.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.core.ladder.leave import leave_key
from casework.core.ladder.proposals import EnterStage, RequestDecision
from casework.core.ladder.recipients import long_date
from casework.core.ladder.stages import Stage
from casework.db.session import unit_of_work
from casework.db.snapshots import load_calendar
from casework.db.tables import Contact, LeaveApplication, Pupil
from casework.service.errors import InvalidRequest, NotFound
from casework.service.proposals import Target, apply_proposals, ensure_cases, write_audit

MAX_REASON = 2000


@dataclass(frozen=True)
class LeaveRequest:
    upn: str
    start: date
    end: date
    reason: str
    on: date  # the school date the application is recorded
    applicant: str | None = None  # a contact id; default the first parent with PR


@dataclass(frozen=True)
class LeaveRecorded:
    application_id: int
    decision_id: int
    school_days: int
    in_advance: bool


def _applicant(db: Session, upn: str, wanted: str | None) -> Contact:
    parents = sorted(
        db.exec(
            select(Contact).where(Contact.upn == upn, Contact.parental_responsibility == True)  # noqa: E712
        ).all(),
        key=lambda c: (c.priority, c.contact_id),
    )
    if wanted is None:
        if not parents:
            raise InvalidRequest(
                f"pupil {upn} has no contact with parental responsibility: only a parent the "
                "pupil normally lives with may apply for leave"
            )
        return parents[0]
    found = next((c for c in parents if c.contact_id == wanted), None)
    if found is None:
        raise InvalidRequest(
            f"contact {wanted} is not a parent with parental responsibility for pupil {upn}"
        )
    return found


def _check(request: LeaveRequest) -> str:
    reason = request.reason.strip()
    if not reason:
        raise InvalidRequest("give the reason the parent gave for the leave; it is kept")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason is longer than {MAX_REASON} characters")
    if request.end < request.start:
        raise InvalidRequest(f"the leave ends ({request.end}) before it starts ({request.start})")
    return reason


def _proposals(
    request: LeaveRequest, reason: str, row: LeaveApplication, applicant: Contact, days: int
) -> list[EnterStage | RequestDecision]:
    key = row.key
    dates = f"{long_date(request.start)} to {long_date(request.end)}"
    advance = "" if row.in_advance else " (recorded on or after its first day: decline only)"
    why = f"leave of absence asked for {dates}, {days} school day(s): {reason}{advance}"
    context = {
        "leave_id": str(row.id),
        "leave_from": request.start.isoformat(),
        "leave_to": request.end.isoformat(),
        "school_days": str(days),
        "leave_reason": reason,
        "applicant_contact_id": applicant.contact_id,
        "applicant_name": applicant.name,
        "in_advance": str(row.in_advance).lower(),
    }
    return [
        EnterStage(Stage.LEAVE_OF_ABSENCE, f"{key}:stage", why, context),
        RequestDecision(Stage.LEAVE_OF_ABSENCE, f"{key}:decision", why, context),
    ]


def _school_days(db: Session, pupil: Pupil, request: LeaveRequest) -> int:
    calendar = load_calendar(db, pupil.urn, request.start)
    days = len(calendar.school_days(request.start, request.end))
    if days == 0:
        raise InvalidRequest(
            f"no school days fall between {request.start} and {request.end}: no leave is needed"
        )
    return days


def _new_row(
    db: Session,
    pupil: Pupil,
    request: LeaveRequest,
    applicant: Contact,
    recorded: tuple[str, datetime],
) -> LeaveApplication:
    """The application row (its case set by the caller); `recorded` is who and when."""
    key = leave_key(pupil.upn, request.start, request.end)
    if db.exec(select(LeaveApplication.id).where(LeaveApplication.key == key)).first():
        raise InvalidRequest(
            f"an application for leave from {request.start} to {request.end} is already "
            f"recorded for pupil {pupil.upn}"
        )
    return LeaveApplication(
        key=key,
        case_id=0,
        upn=pupil.upn,
        urn=pupil.urn,
        start_date=request.start,
        end_date=request.end,
        reason=request.reason.strip(),
        applicant_contact_id=applicant.contact_id,
        recorded_date=request.on,
        recorded_by=recorded[0],
        recorded_at=recorded[1],
        in_advance=request.on < request.start,
    )


def request_leave(
    engine: Engine, request: LeaveRequest, *, actor: str, now: datetime
) -> LeaveRecorded:
    """Record the application and ask the headteacher to decide it."""
    reason = _check(request)
    with unit_of_work(engine) as db:
        pupil = db.get(Pupil, request.upn)
        if pupil is None:
            raise NotFound(f"no pupil {request.upn}")
        days = _school_days(db, pupil, request)
        applicant = _applicant(db, pupil.upn, request.applicant)
        row = _new_row(db, pupil, request, applicant, (actor, now))
        row.case_id = ensure_cases(db, [pupil.upn], pupil.urn, request.on, now)[pupil.upn]
        db.add(row)
        db.flush()
        target = Target(pupil.urn, request.on, pupil.upn, row.case_id, actor=actor)
        drafts = apply_proposals(db, target, _proposals(request, reason, row, applicant, days), now)
        write_audit(db, drafts, now)
        row.decision_id = next(
            int(d.detail["decision_id"]) for d in drafts if "decision_id" in d.detail
        )
    return LeaveRecorded(row.id or 0, row.decision_id, days, row.in_advance)


def application_of(db: Session, decision_id: int) -> LeaveApplication:
    found = db.exec(
        select(LeaveApplication).where(LeaveApplication.decision_id == decision_id)
    ).first()
    if found is None:
        raise NotFound(f"no leave application for decision {decision_id}")
    return found
