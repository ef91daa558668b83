"""A pupil's case as people read it: facts, measures, stages, open tasks, chronology.

Every read is itself recorded (`case.viewed`): health codes, SEN and legal steps are
special-category or criminal-offence data (DOMAIN rule 30).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.calendar import RegisterSession
from casework.core.ladder.persistent_absence import pupil_band
from casework.core.lifecycle import OPEN_TASK_STATUSES
from casework.core.measures import AttendanceMeasures, Band
from casework.core.policy import Policy
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.snapshots import load_school
from casework.db.tables import AuditEntry, Contact, Pupil, StageEntry, Task
from casework.service.errors import NotFound


@dataclass(frozen=True)
class CaseSummary:
    pupil: Pupil
    contacts: list[Contact]
    measures: AttendanceMeasures | None
    band: Band | None
    stages: list[StageEntry]
    open_tasks: list[Task]
    chronology: list[AuditEntry]


def case_summary(
    engine: Engine,
    upn: str,
    *,
    on: date,
    policy: Policy,
    actor: str,
    now: datetime,
    chronology_limit: int = 200,
) -> CaseSummary:
    """Read the case as of `on` (end of day) and record who read it."""
    with unit_of_work(engine) as db:
        pupil = db.get(Pupil, upn)
        if pupil is None:
            raise NotFound(f"no pupil {upn}")
        contacts = list(
            db.exec(select(Contact).where(Contact.upn == upn).order_by(col(Contact.priority)))
        )
        snapshot = load_school(db, pupil.urn, on, RegisterSession.PM, only_upn=upn)
        view = snapshot.pupils[0] if snapshot and snapshot.pupils else None
        stages = list(
            db.exec(select(StageEntry).where(StageEntry.upn == upn).order_by(col(StageEntry.id)))
        )
        tasks = list(
            db.exec(
                select(Task)
                .where(Task.upn == upn, col(Task.status).in_([s.value for s in OPEN_TASK_STATUSES]))
                .order_by(col(Task.due_date))
            )
        )
        chronology = list(
            db.scalars(
                sa.select(AuditEntry)
                .where(col(AuditEntry.upn) == upn)
                .order_by(col(AuditEntry.seq).desc())
                .limit(chronology_limit)
            )
        )
        append_entries(
            db,
            [
                AuditDraft(
                    kind=AuditKind.CASE_VIEWED,
                    actor=actor,
                    school_date=on,
                    urn=pupil.urn,
                    upn=upn,
                    detail={"via": "cli" if actor == "cli" else "service"},
                )
            ],
            at=now,
        )
        return CaseSummary(
            pupil,
            contacts,
            view.measures if view else None,
            pupil_band(view, policy) if view else None,
            stages,
            tasks,
            list(reversed(chronology)),
        )
