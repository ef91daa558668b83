"""`GET /overview`: per school in scope, persistent and severe absence, the caseload at each
stage of concern, open and overdue tasks.

Persistent and severe absence are measured year to date as of the page's date with the one
definition the reports use (`casework.service.absence`), from the weekly tallies the sweep keeps.
The caseload is read from the open support stages the sweep has entered (severe absence plan,
attendance plan, attendance concern): a few grouped counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from casework.core.ladder.stages import Stage
from casework.core.measure_definitions import AbsenceCount, definitions
from casework.core.policy import load_policy
from casework.db.tables import Decision, Pupil, StageEntry, Task
from casework.service.absence import absence_by_school
from casework.web.deps import Scope, SessionDep, ViewerDep, WebDep
from casework.web.pages import render
from casework.web.part_time import part_time_pupils
from casework.web.queue import OPEN_STATUSES, overdue_clause, schools_in_scope

router = APIRouter()

BAND_STAGES: dict[str, Stage] = {
    "severe": Stage.SEVERE_ABSENCE_PLAN,
    "persistent": Stage.ATTENDANCE_PLAN,
    "at_risk": Stage.ATTENDANCE_CONCERN,
}


@dataclass
class SchoolRow:
    urn: str
    name: str
    pupils: int = 0
    absence: AbsenceCount = field(default_factory=AbsenceCount)
    bands: dict[str, int] = field(default_factory=dict)
    open_tasks: int = 0
    overdue_tasks: int = 0
    decisions_waiting: int = 0


def _grouped(session: Session, scope: Scope, stmt: Any, urn_column: Any) -> dict[str, int]:
    return {urn: int(n) for urn, n in session.exec(scope.where(stmt, urn_column)).all()}


def _band_counts(session: Session, scope: Scope) -> dict[str, dict[str, int]]:
    stmt = (
        select(StageEntry.urn, StageEntry.stage, sa.func.count(sa.distinct(col(StageEntry.upn))))
        .where(
            col(StageEntry.status) == "open",
            col(StageEntry.stage).in_([s.value for s in BAND_STAGES.values()]),
        )
        .group_by(StageEntry.urn, StageEntry.stage)
    )
    by_stage = {stage.value: band for band, stage in BAND_STAGES.items()}
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for urn, stage, n in session.exec(scope.where(stmt, StageEntry.urn)).all():
        counts[urn][by_stage[stage]] = int(n)
    return counts


@router.get("/overview")
def overview(request: Request, web: WebDep, viewer: ViewerDep, session: SessionDep) -> Response:
    scope, today = viewer.scope, web.today()
    open_tasks = select(Task.urn, sa.func.count()).where(col(Task.status).in_(OPEN_STATUSES))
    counts = {
        "pupils": _grouped(
            session, scope, select(Pupil.urn, sa.func.count()).group_by(Pupil.urn), Pupil.urn
        ),
        "open_tasks": _grouped(session, scope, open_tasks.group_by(Task.urn), Task.urn),
        "overdue_tasks": _grouped(
            session,
            scope,
            open_tasks.where(overdue_clause(today)).group_by(Task.urn),
            Task.urn,
        ),
        "decisions_waiting": _grouped(
            session,
            scope,
            select(Decision.urn, sa.func.count())
            .where(Decision.status == "requested")
            .group_by(Decision.urn),
            Decision.urn,
        ),
    }
    bands = _band_counts(session, scope)
    schools = schools_in_scope(session, scope)
    absence = absence_by_school(session, [s.urn for s in schools], today, web.settings.tz)
    rows = [
        SchoolRow(
            urn=school.urn,
            name=school.name,
            pupils=counts["pupils"].get(school.urn, 0),
            absence=absence[school.urn],
            bands=bands.get(school.urn, {}),
            open_tasks=counts["open_tasks"].get(school.urn, 0),
            overdue_tasks=counts["overdue_tasks"].get(school.urn, 0),
            decisions_waiting=counts["decisions_waiting"].get(school.urn, 0),
        )
        for school in schools
    ]
    totals = SchoolRow(urn="", name="All schools")
    for row in rows:
        totals.pupils += row.pupils
        totals.open_tasks += row.open_tasks
        totals.overdue_tasks += row.overdue_tasks
        totals.decisions_waiting += row.decisions_waiting
        totals.absence += row.absence
        for band, n in row.bands.items():
            totals.bands[band] = totals.bands.get(band, 0) + n
    context = {
        "title": "Overview",
        "rows": rows,
        "totals": totals,
        "band_names": BAND_STAGES,
        "definitions": definitions(load_policy(web.settings.policy_file)),
        "part_time": part_time_pupils(session, scope, today),
    }
    return render(request, web, viewer, "overview.html", context)
