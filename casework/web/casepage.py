"""What the pupil's case page shows, loaded in scope: measures, chart, stages, tasks, messages.

Measures come from the pupil's marks as they stand now (the latest version of each session
recorded by now) for the academic year so far, through casework.core.measures like the sweep uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from casework.core.calendar import RegisterSession, academic_year_start
from casework.core.marks import MarkVersion, SessionMark, latest_versions
from casework.core.measures import AttendanceMeasures, measure
from casework.db.tables import (
    AuditEntry,
    Case,
    Contact,
    Decision,
    Letter,
    Mark,
    Message,
    PenaltyNotice,
    Pupil,
    School,
    StageEntry,
    Task,
)
from casework.web.chart import AttendanceChart, attendance_chart
from casework.web.deps import Scope
from notifications.messages import formatted_status

RECENT_AUDIT = 50


@dataclass(frozen=True, slots=True)
class MessageRow:
    message: Message
    status_label: str


@dataclass(frozen=True, slots=True)
class CasePage:
    pupil: Pupil
    school: School | None
    case: Case | None
    year_start: date
    measures: AttendanceMeasures | None
    chart: AttendanceChart | None
    needs: list[str]
    contacts: list[Contact]
    stages: list[StageEntry]
    tasks: list[Task]
    decisions: list[Decision]
    notices: list[PenaltyNotice]
    messages: list[MessageRow]
    letters: list[Letter]
    audit: list[AuditEntry]


def needs_and_circumstances(pupil: Pupil) -> list[str]:
    """Plain-English flags that matter before any escalation (DOMAIN.md rule 27)."""
    flags = {
        "Education, health and care plan (EHCP)": pupil.sen_status == "E",
        "SEN support": pupil.sen_status == "K",
        "Medical condition": pupil.medical_condition,
        "Looked after": pupil.looked_after,
        "Previously looked after": pupil.previously_looked_after,
        "Child in need": pupil.cp_cin == "CIN",
        "Child protection plan": pupil.cp_cin == "CP",
        "Has a social worker": bool(pupil.social_worker_email),
        "Has a youth offending team worker": bool(pupil.yot_worker_email),
        "Young carer": pupil.young_carer,
        "Free school meals": pupil.fsm,
    }
    return [label for label, applies in flags.items() if applies]


def visible_marks(
    session: Session, scope: Scope, upn: str, since: date, today: date, now: datetime
) -> list[SessionMark]:
    """The pupil's marks since..today as they stand at `now`, in register order."""
    stmt = select(Mark).where(
        col(Mark.upn) == upn,
        col(Mark.school_date) >= since,
        col(Mark.school_date) <= today,
        col(Mark.recorded_at) <= now,
    )
    versions = [
        MarkVersion(
            m.upn, m.school_date, RegisterSession(m.session), m.code, m.minutes_late, m.recorded_at
        )
        for m in session.exec(scope.where(stmt, Mark.urn))
    ]
    latest = latest_versions(versions)
    return [
        SessionMark(v.school_date, v.session, v.code, v.minutes_late)
        for _, v in sorted(latest.items())
    ]


def _rows(session: Session, scope: Scope, model: type[Any], upn: str, *order: Any) -> list[Any]:
    stmt = select(model).where(col(model.upn) == upn).order_by(*order)
    return list(session.exec(scope.where(stmt, model.urn)))


def load_case_page(
    session: Session, scope: Scope, pupil: Pupil, today: date, now: datetime
) -> CasePage:
    """Everything the case page shows for a pupil already known to be in scope."""
    upn = pupil.upn
    year_start = academic_year_start(today)
    marks = visible_marks(session, scope, upn, year_start, today, now)
    notices_stmt = (
        select(PenaltyNotice)
        .join(Decision, col(Decision.id) == col(PenaltyNotice.decision_id))
        .where(col(PenaltyNotice.upn) == upn)
        .order_by(col(PenaltyNotice.issued_date))
    )
    contacts_stmt = (
        select(Contact)
        .join(Pupil, col(Pupil.upn) == col(Contact.upn))
        .where(col(Contact.upn) == upn)
        .order_by(col(Contact.priority))
    )
    audit_stmt = (
        select(AuditEntry)
        .where(col(AuditEntry.upn) == upn)
        .order_by(col(AuditEntry.seq).desc())
        .limit(RECENT_AUDIT)
    )
    messages = _rows(session, scope, Message, upn, col(Message.created_at).desc())
    return CasePage(
        pupil=pupil,
        school=session.get(School, pupil.urn),
        case=session.exec(scope.where(select(Case).where(Case.upn == upn), Case.urn)).first(),
        year_start=year_start,
        measures=measure(marks) if marks else None,
        chart=attendance_chart(marks),
        needs=needs_and_circumstances(pupil),
        contacts=list(session.exec(scope.where(contacts_stmt, Pupil.urn))),
        stages=_rows(session, scope, StageEntry, upn, StageEntry.entered_date, StageEntry.id),
        tasks=_rows(session, scope, Task, upn, col(Task.created_date).desc(), col(Task.id).desc()),
        decisions=_rows(session, scope, Decision, upn, col(Decision.requested_date).desc()),
        notices=list(session.exec(scope.where(notices_stmt, Decision.urn))),
        messages=[MessageRow(m, formatted_status(m.channel, m.status)) for m in messages],
        letters=_rows(session, scope, Letter, upn, col(Letter.school_date).desc()),
        audit=list(session.exec(scope.where(audit_stmt, AuditEntry.urn))),
    )
