"""The embedded demo: a synthetic LA seeded, imported and run through the real pipeline.

Nothing here is a test switch: the demo uses the same import, sweep, dispatch and receipts as
production, with the file outbox and simulator recipients standing in for Twilio and SMTP.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from casework.core.measure_definitions import AbsenceCount
from casework.db.tables import Letter, Message, School, StageEntry, Task
from casework.service.absence import school_absence
from casework.service.importing.files import KINDS, ImportResult, import_file
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
    absence: AbsenceCount = field(default_factory=AbsenceCount)
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
        out,
        schools=plan.schools,
        pupils=plan.pupils,
        start=plan.start,
        end=plan.end,
        seed=plan.seed,
    )
    return [
        import_file(
            engine,
            kind,
            Path(out / f"{kind}.csv"),
            reports_dir=settings.import_reports_dir,
            tz=settings.tz,
            now=now,
        )
        for kind in KINDS
    ]


def _count(db: Session, column: Any, urn: str, table: Any) -> Counter[str]:
    rows = db.execute(
        sa.select(column, sa.func.count()).where(col(table.urn) == urn).group_by(column)
    )
    return Counter({str(key): int(n) for key, n in rows})


def _total(db: Session, stmt: Any) -> int:
    return int(db.execute(stmt).scalar_one())


def school_figures(engine: Engine, on: date, tz: ZoneInfo) -> list[SchoolFigures]:
    """Persistent and severe absence year to date on `on` (counted as the overview and the
    reports count them), stages entered, tasks opened and messages by channel, per school."""
    figures = []
    with Session(engine) as db:
        for school in db.scalars(sa.select(School).order_by(col(School.urn))):
            row = SchoolFigures(school.urn, school.name)
            row.absence = school_absence(db, school.urn, on, tz)
            row.stages = _count(db, col(StageEntry.stage), school.urn, StageEntry)
            row.messages = _count(db, col(Message.channel), school.urn, Message)
            row.tasks = _total(db, sa.select(sa.func.count()).where(col(Task.urn) == school.urn))
            figures.append(row)
    return figures


def outbox_figures(engine: Engine) -> tuple[Counter[str], int]:
    """Messages by status, and letters rendered to PDF."""
    with Session(engine) as db:
        rows = db.execute(
            sa.select(col(Message.status), sa.func.count()).group_by(col(Message.status))
        )
        statuses = Counter({str(status): int(n) for status, n in rows})
        letters = _total(db, sa.select(sa.func.count()).where(col(Letter.path).is_not(None)))
    return statuses, letters


def utc_now() -> datetime:
    return datetime.now(UTC)
