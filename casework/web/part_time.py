"""The LA overview's list of pupils on a part-time timetable and for how long (DOMAIN rule 33).

A part-time timetable must be temporary: the list shows each open `part_time_timetable` stage in
the viewer's scope, oldest first, with the weeks since it began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from casework.core.ladder.stages import Stage
from casework.db.tables import Pupil, School, StageEntry
from casework.web.deps import Scope


@dataclass(frozen=True, slots=True)
class PartTimeRow:
    upn: str
    name: str
    school: str
    started: date
    weeks: int  # whole weeks since the first C2 mark


def part_time_pupils(session: Session, scope: Scope, today: date) -> list[PartTimeRow]:
    stmt = (
        sa.select(
            col(StageEntry.upn),
            col(StageEntry.entered_date),
            col(Pupil.forename),
            col(Pupil.surname),
            col(School.name),
        )
        .join(Pupil, col(Pupil.upn) == col(StageEntry.upn))
        .join(School, col(School.urn) == col(StageEntry.urn))
        .where(
            col(StageEntry.stage) == Stage.PART_TIME_TIMETABLE.value,
            col(StageEntry.status) == "open",
        )
        .order_by(col(StageEntry.entered_date), col(StageEntry.upn))
    )
    return [
        PartTimeRow(upn, f"{forename} {surname}", school, started, (today - started).days // 7)
        for upn, started, forename, surname, school in session.execute(
            scope.where(stmt, StageEntry.urn)
        )
    ]
