"""The embedded demo: a synthetic LA seeded, imported and run through the real pipeline.

Nothing here is a test switch: the demo uses the same import, sweep, dispatch and receipts as
production, with the file outbox and simulator recipients standing in for Twilio and SMTP.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.calendar import RegisterSession
from casework.db.snapshots import load_school
from casework.db.tables import Letter, Message, School, StageEntry, Task
from casework.ladder.persistence import pupil_band
from casework.measures import Band
from casework.policy import Policy
from casework.service.imports import KINDS, ImportResult, import_file
from casework.settings import Settings


@dataclass(frozen=True)
class DemoPlan:
    schools: int = 2
    pupils: int = 300
    start: date = date(2025, 9, 3)
    end: date = date(2025, 10, 10)
    seed: int = 2025


@dataclass
class SchoolFigures:
    urn: str
    name: str
    bands: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    tasks: int = 0
    messages: Counter[str] = field(default_factory=Counter)


def seed_and_import(
    engine: Engine, settings: Settings, plan: DemoPlan, now: datetime
) -> list[ImportResult]:
    """Write the synthetic LA's five CSVs under var/demo/ and import them like any LA's files."""
    from casework.seed import write_synthetic_la

    out = settings.var_dir / "demo"
    write_synthetic_la(
        out, schools=plan.schools, pupils=plan.pupils, start=plan.start, end=plan.end,
        seed=plan.seed,
    )
    return [
        import_file(
            engine, kind, Path(out / f"{kind}.csv"), reports_dir=settings.import_reports_dir,
            tz=settings.tz, now=now,
        )
        for kind in KINDS
    ]


def _count(db: Session, column: sa.ColumnElement[str], urn_column: sa.ColumnElement[str],
           urn: str) -> Counter[str]:
    rows = db.execute(sa.select(column, sa.func.count()).where(urn_column == urn).group_by(column))
    return Counter({key: n for key, n in rows})


def school_figures(engine: Engine, on: date, policy: Policy) -> list[SchoolFigures]:
    """Pupils per band, stages entered, tasks opened and messages by channel, per school."""
    figures = []
    with Session(engine) as db:
        for school in db.scalars(sa.select(School).order_by(School.urn)):
            row = SchoolFigures(school.urn, school.name)
            snapshot = load_school(db, school.urn, on, RegisterSession.PM)
            for view in snapshot.pupils if snapshot else []:
                row.bands[pupil_band(view, policy).value] += 1
            row.stages = _count(db, StageEntry.stage, StageEntry.urn, school.urn)  # type: ignore[arg-type]
            row.messages = _count(db, Message.channel, Message.urn, school.urn)  # type: ignore[arg-type]
            row.tasks = db.scalar(
                sa.select(sa.func.count()).select_from(Task).where(Task.urn == school.urn)
            ) or 0
            figures.append(row)
    return figures


def outbox_figures(engine: Engine) -> tuple[Counter[str], int]:
    """Messages by status, and letters rendered to PDF."""
    with Session(engine) as db:
        statuses = Counter({
            status: n
            for status, n in db.execute(
                sa.select(Message.status, sa.func.count()).group_by(Message.status)
            )
        })
        letters = db.scalar(
            sa.select(sa.func.count()).select_from(Letter).where(Letter.path.is_not(None))  # type: ignore[union-attr]
        ) or 0
    return statuses, letters


BANDS = [b.value for b in Band]


def utc_now() -> datetime:
    return datetime.now(UTC)
