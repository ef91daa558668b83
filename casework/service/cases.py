"""A pupil's case as people read it, in one call: facts, marks, measures, stages, tasks, legal
steps, messages, letters and recent activity, each read recorded.

`read_case` is the one read behind the web app's case page and `pathway case`: it checks the
reader's school scope, appends the `case.viewed` entry (health codes, SEN and legal steps are
special-category or criminal-offence data, DOMAIN rule 30) and reads the case in the same
transaction, so no case is shown without its record. Measures come from the pupil's marks as they
stood at `now` for the academic year up to `on`, through casework.core.measures as the sweep uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.calendar import RegisterSession, academic_year_start
from casework.core.ladder.persistent_absence import pupil_band
from casework.core.lifecycle import OPEN_TASK_STATUSES
from casework.core.marks import MarkVersion, SessionMark, latest_versions
from casework.core.measures import AttendanceMeasures, Band, measure
from casework.core.permissions import in_scope
from casework.core.policy import Policy
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.snapshots import load_school
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
from casework.service.errors import NotFound

RECENT_AUDIT = 50


@dataclass(frozen=True)
class CaseRecord:
    """Everything the case page and `pathway case` show, as of one date."""

    pupil: Pupil
    school: School | None
    case: Case | None
    on: date
    year_start: date
    marks: list[SessionMark]
    measures: AttendanceMeasures | None
    needs: list[str]
    contacts: list[Contact]
    stages: list[StageEntry]
    tasks: list[Task]
    decisions: list[Decision]
    notices: list[PenaltyNotice]
    messages: list[Message]
    letters: list[Letter]
    audit: list[AuditEntry]  # newest first

    @property
    def contact_names(self) -> dict[str, str]:
        return {c.contact_id: c.name for c in self.contacts}

    @property
    def open_tasks(self) -> list[Task]:
        statuses = {s.value for s in OPEN_TASK_STATUSES}
        return sorted((t for t in self.tasks if t.status in statuses), key=lambda t: t.due_date)


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


def _marks(db: Session, upn: str, since: date, on: date, now: datetime) -> list[SessionMark]:
    """The pupil's marks since..on as they stood at `now`, in register order."""
    stmt = select(Mark).where(
        col(Mark.upn) == upn,
        col(Mark.school_date) >= since,
        col(Mark.school_date) <= on,
        col(Mark.recorded_at) <= now,
    )
    versions = [
        MarkVersion(
            m.upn, m.school_date, RegisterSession(m.session), m.code, m.minutes_late, m.recorded_at
        )
        for m in db.exec(stmt)
    ]
    return [
        SessionMark(v.school_date, v.session, v.code, v.minutes_late)
        for _, v in sorted(latest_versions(versions).items())
    ]


def _rows(db: Session, model: type[Any], upn: str, *order: Any) -> list[Any]:
    return list(db.exec(select(model).where(col(model.upn) == upn).order_by(*order)))


def _seen_by(on: date, now: datetime) -> datetime:
    """Marks recorded by the end of `on` (or by now, if that is earlier): an as-of read of a
    past day does not see the corrections made after it."""
    end_of_day = datetime.combine(on + timedelta(days=1), time(0), UTC)
    return min(now, end_of_day)


def _record(db: Session, pupil: Pupil, on: date, now: datetime) -> CaseRecord:
    upn, year_start = pupil.upn, academic_year_start(on)
    marks = _marks(db, upn, year_start, on, _seen_by(on, now))
    notices = select(PenaltyNotice).where(col(PenaltyNotice.upn) == upn)
    audit = select(AuditEntry).where(col(AuditEntry.upn) == upn)
    message_order = (col(Message.school_date).desc(), col(Message.created_at).desc())
    return CaseRecord(
        pupil=pupil,
        school=db.get(School, pupil.urn),
        case=db.exec(select(Case).where(Case.upn == upn)).first(),
        on=on,
        year_start=year_start,
        marks=marks,
        measures=measure(marks) if marks else None,
        needs=needs_and_circumstances(pupil),
        contacts=_rows(db, Contact, upn, col(Contact.priority)),
        stages=_rows(db, StageEntry, upn, StageEntry.entered_date, StageEntry.id),
        tasks=_rows(db, Task, upn, col(Task.created_date).desc(), col(Task.id).desc()),
        decisions=_rows(db, Decision, upn, col(Decision.requested_date).desc()),
        notices=list(db.exec(notices.order_by(col(PenaltyNotice.issued_date)))),
        messages=_rows(db, Message, upn, *message_order),
        letters=_rows(db, Letter, upn, col(Letter.school_date).desc()),
        audit=list(db.exec(audit.order_by(col(AuditEntry.seq).desc()).limit(RECENT_AUDIT))),
    )


def read_case(
    engine: Engine,
    upn: str,
    *,
    scope_urn: str | None,
    on: date,
    now: datetime,
    actor: str,
    detail: Mapping[str, Any],
) -> CaseRecord:
    """The case as of `on` for a reader whose scope is `scope_urn` (None: every school).

    NotFound when there is no such pupil or the pupil is outside the scope: the two look alike.
    """
    with unit_of_work(engine) as db:
        pupil = db.get(Pupil, upn)
        if pupil is None or not in_scope(scope_urn, pupil.urn):
            raise NotFound(f"no pupil {upn}")
        case_id = db.exec(select(Case.id).where(Case.upn == upn)).first()
        view = AuditDraft(
            kind=AuditKind.CASE_VIEWED,
            actor=actor,
            school_date=on,
            urn=pupil.urn,
            upn=upn,
            case_id=case_id,
            detail=dict(detail),
        )
        append_entries(db, [view], at=now)
        return _record(db, pupil, on, now)


@dataclass(frozen=True)
class CaseSummary:
    """The CLI's view: the case record plus the pupil's band as the sweep sees it."""

    record: CaseRecord
    band: Band | None

    @property
    def pupil(self) -> Pupil:
        return self.record.pupil


def case_summary(
    engine: Engine, upn: str, *, on: date, policy: Policy, actor: str, now: datetime
) -> CaseSummary:
    """Read the case as of `on` (end of day) through `read_case`, with the sweep's band."""
    via = {"via": "cli" if actor == "cli" else "service"}
    record = read_case(engine, upn, scope_urn=None, on=on, now=now, actor=actor, detail=via)
    with Session(engine) as db:
        snapshot = load_school(db, record.pupil.urn, on, RegisterSession.PM, only_upn=upn)
    view = snapshot.pupils[0] if snapshot and snapshot.pupils else None
    return CaseSummary(record, pupil_band(view, policy) if view else None)
