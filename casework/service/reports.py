"""Reports use cases: load each school's rows in bulk, compute the figures, write HTML and PDF.

Start here: `build_governors_report(engine, settings, urn, start=..., end=..., on=..., policy=...)`
and `build_la_report(...)` return the `ReportFiles` written under `settings.reports_dir`;
`build_weekly_reports` writes every school's and the LA's for the weekly flow;
`what_worked_for_pupil` gives one pupil's before/after effects for the case page.

Loading is one query per table per school (pupils, marks, stage entries, decisions, notices,
tasks, calendar), never per pupil; each school is reduced to additive figures before the next is
loaded, so an LA's marks are never all in memory at once. Marks are read as the latest version
recorded by the end of the `on` date, so a report for a past date can be reproduced.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.calendar import RegisterSession, SchoolCalendar, academic_year_start
from casework.core.marks import MarkVersion, SessionMark, latest_versions
from casework.core.policy import Policy
from casework.core.reports.actions import DecisionRow, NoticeRow, StageRow, TaskRow
from casework.core.reports.cohorts import PupilTraits
from casework.core.reports.documents import Document, governors_document, la_document
from casework.core.reports.figures import Period, SchoolData, SchoolFigures, school_figures, total
from casework.core.reports.suppression import DEFAULT_MIN_COHORT
from casework.core.reports.what_worked import (
    DEFAULT_WEEKS,
    StageEffect,
    effect_windows,
    stage_effect,
)
from casework.db.snapshots import load_calendar
from casework.db.tables import Decision, Mark, PenaltyNotice, Pupil, School, StageEntry, Task
from casework.service.errors import InvalidRequest, NotFound
from casework.service.report_html import render_html
from casework.settings import LONDON, Settings
from notifications.letters import render_letter_pdf

__all__ = [
    "ReportFiles",
    "build_governors_report",
    "build_la_report",
    "build_weekly_reports",
    "what_worked_for_pupil",
]

log = logging.getLogger(__name__)

_PUPIL = (
    Pupil.upn, Pupil.year_group, Pupil.sen_status, Pupil.fsm, Pupil.pupil_premium,
    Pupil.looked_after, Pupil.previously_looked_after, Pupil.cp_cin, Pupil.ethnicity,
)  # fmt: skip
_MARK = (Mark.upn, Mark.school_date, Mark.session, Mark.code, Mark.minutes_late, Mark.recorded_at)
_STAGE = (StageEntry.upn, StageEntry.stage, StageEntry.entered_date, StageEntry.closed_date)
_DECISION = (Decision.stage, Decision.status, Decision.requested_date, Decision.decided_date)
_NOTICE = (
    PenaltyNotice.issued_date, PenaltyNotice.pay_by_date, PenaltyNotice.paid_date,
    PenaltyNotice.withdrawn_date,
)  # fmt: skip
_TASK = (Task.kind, Task.status, Task.created_date, Task.due_date, Task.completed_date)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    pdf: Path


def _select(*columns: Any) -> Any:
    # Column tuples defeat SQLAlchemy's typed overloads; rows are unpacked into dataclasses.
    return sa.select(*columns)


def _period(start: date | None, end: date | None, on: date, weeks: int, min_cohort: int) -> Period:
    if min_cohort < 1:
        raise InvalidRequest("min_cohort must be at least 1")
    last = end or on
    try:
        return Period(start or academic_year_start(last), last, on, weeks)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc


def _cutoff(on: date, tz: ZoneInfo) -> datetime:
    """The end of the `on` day in local time: marks recorded later are not seen."""
    return datetime.combine(on + timedelta(days=1), time.min, tz)


def _pupils(db: Session, urn: str, since: date, until: date) -> dict[str, PupilTraits]:
    # Pupils on roll now, plus pupils who have since moved on but have marks here in the period.
    marked = sa.select(col(Mark.upn)).where(
        col(Mark.urn) == urn, col(Mark.school_date) >= since, col(Mark.school_date) <= until
    )
    stmt = _select(*_PUPIL).where(sa.or_(col(Pupil.urn) == urn, col(Pupil.upn).in_(marked)))
    return {row[0]: PupilTraits(*row[1:]) for row in db.execute(stmt)}


def _marks(
    db: Session, urn: str, since: date, until: date, cutoff: datetime | None, upn: str | None = None
) -> dict[str, list[SessionMark]]:
    stmt = _select(*_MARK).where(
        Mark.urn == urn, col(Mark.school_date) >= since, col(Mark.school_date) <= until
    )
    if cutoff is not None:
        stmt = stmt.where(col(Mark.recorded_at) < cutoff)
    if upn is not None:
        stmt = stmt.where(Mark.upn == upn)
    versions = (
        MarkVersion(u, d, RegisterSession(s), code, late, at)
        for u, d, s, code, late, at in db.execute(stmt.order_by(Mark.recorded_at, Mark.id))
    )
    by_upn: dict[str, list[SessionMark]] = defaultdict(list)
    for _key, v in sorted(latest_versions(versions).items()):
        by_upn[v.upn].append(SessionMark(v.school_date, v.session, v.code, v.minutes_late))
    return dict(by_upn)


def _stages(db: Session, urn: str) -> list[StageRow]:
    return [StageRow(*r) for r in db.execute(_select(*_STAGE).where(StageEntry.urn == urn))]


def _decisions(db: Session, urn: str) -> list[DecisionRow]:
    return [DecisionRow(*r) for r in db.execute(_select(*_DECISION).where(Decision.urn == urn))]


def _notices(db: Session, urn: str) -> list[NoticeRow]:
    # Notices carry no URN: the school is the one whose decision issued them.
    stmt = _select(*_NOTICE).join(Decision, col(Decision.id) == col(PenaltyNotice.decision_id))
    return [NoticeRow(*r) for r in db.execute(stmt.where(Decision.urn == urn))]


def _tasks(db: Session, urn: str) -> list[TaskRow]:
    return [TaskRow(*r) for r in db.execute(_select(*_TASK).where(Task.urn == urn))]


def _marks_from(
    calendar: SchoolCalendar, stages: Sequence[StageRow], start: date, weeks: int
) -> date:
    """The earliest date whose marks are needed: `start`, or an earlier what-worked window's."""
    since = start
    for row in stages:
        try:
            before, _after = effect_windows(calendar, row.entered_date, weeks)
        except LookupError:
            continue
        since = min(since, before.first)
    return since


def _load(
    db: Session, school: School, period: Period, cutoff: datetime, detail: bool
) -> SchoolData:
    urn = school.urn
    calendar = load_calendar(db, urn, period.end)
    stages = _stages(db, urn) if detail else []
    entered = [r for r in stages if period.start <= r.entered_date <= period.end]
    since = _marks_from(calendar, entered, period.start, period.weeks)
    until = max(period.end, period.on)
    pupils, marks = _pupils(db, urn, since, until), _marks(db, urn, since, until, cutoff)
    data = SchoolData(urn, school.name, school.la_code, calendar, pupils, marks)
    if not detail:
        return data
    return replace(
        data, stages=stages, decisions=_decisions(db, urn), notices=_notices(db, urn),
        tasks=_tasks(db, urn),
    )  # fmt: skip


def _school_figures(
    engine: Engine, schools: Sequence[School], period: Period, settings: Settings, detail: bool
) -> list[SchoolFigures]:
    """Each school loaded in its own short read, reduced to figures before the next."""
    cutoff = _cutoff(period.on, settings.tz)
    out = []
    for school in schools:
        with Session(engine) as db:
            data = _load(db, school, period, cutoff, detail)
        out.append(school_figures(data, period, detail=detail))
    return out


def _schools(engine: Engine) -> list[School]:
    with Session(engine, expire_on_commit=False) as db:
        return list(db.exec(select(School).order_by(col(School.urn))))


def _write(settings: Settings, document: Document, name: str) -> ReportFiles:
    html = render_html(document)
    out = settings.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"{name}.html"
    fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(html)
    Path(tmp).replace(html_path)  # readers never see half a file
    pdf_path, _sha = render_letter_pdf(html, out, name)
    log.info("report written name=%s", name)
    return ReportFiles(html_path, pdf_path)


def _governors(
    mine: SchoolFigures,
    peers: Sequence[SchoolFigures],
    period: Period,
    policy: Policy,
    settings: Settings,
    min_cohort: int,
) -> ReportFiles:
    others = total(p.figures for p in peers if p.la_code == mine.la_code)
    document = governors_document(
        mine, others, period, la_name=policy.la.name, min_cohort=min_cohort
    )
    return _write(settings, document, f"governors-{mine.urn}-{period.start}-{period.end}")


def build_governors_report(
    engine: Engine,
    settings: Settings,
    urn: str,
    *,
    start: date | None = None,
    end: date | None = None,
    on: date,
    policy: Policy,
    min_cohort: int = DEFAULT_MIN_COHORT,
    weeks: int = DEFAULT_WEEKS,
) -> ReportFiles:
    """One school's governors' report (default period: academic year to `on`)."""
    period = _period(start, end, on, weeks, min_cohort)
    schools = _schools(engine)
    mine = [s for s in schools if s.urn == urn]
    if not mine:
        raise NotFound(f"no school with URN {urn}")
    peers = [s for s in schools if s.la_code == mine[0].la_code and s.urn != urn]
    figures = _school_figures(engine, mine, period, settings, detail=True)[0]
    others = _school_figures(engine, peers, period, settings, detail=False)
    return _governors(figures, others, period, policy, settings, min_cohort)


def build_la_report(
    engine: Engine,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    on: date,
    policy: Policy,
    min_cohort: int = DEFAULT_MIN_COHORT,
    weeks: int = DEFAULT_WEEKS,
) -> ReportFiles:
    """The LA's report: every school a row, the LA as a whole, casework and what worked."""
    period = _period(start, end, on, weeks, min_cohort)
    schools = _school_figures(engine, _schools(engine), period, settings, detail=True)
    return _la(schools, period, policy, settings, min_cohort)


def _la(
    schools: Sequence[SchoolFigures],
    period: Period,
    policy: Policy,
    settings: Settings,
    min_cohort: int,
) -> ReportFiles:
    document = la_document(schools, period, la_name=policy.la.name, min_cohort=min_cohort)
    return _write(settings, document, f"la-{period.start}-{period.end}")


def build_weekly_reports(
    engine: Engine, settings: Settings, on: date, policy: Policy
) -> list[ReportFiles]:
    """Every school's governors' report and the LA report, academic year to `on`; each school's
    rows are loaded once for all of them."""
    period = _period(None, None, on, DEFAULT_WEEKS, DEFAULT_MIN_COHORT)
    schools = _school_figures(engine, _schools(engine), period, settings, detail=True)
    files = [
        _governors(
            s, [p for p in schools if p.urn != s.urn], period, policy, settings, DEFAULT_MIN_COHORT
        )
        for s in schools
    ]
    files.append(_la(schools, period, policy, settings, DEFAULT_MIN_COHORT))
    return files


def what_worked_for_pupil(
    engine: Engine, upn: str, weeks: int = DEFAULT_WEEKS, *, on: date | None = None
) -> list[StageEffect]:
    """Every stage the pupil entered, with attendance in the `weeks` school weeks before and
    after (for the case page).

    Args:
        on: as of this date (marks recorded by its end); default: every mark so far, the
            pupil's last marked date being where the data ends.
    """
    if weeks < 1:
        raise InvalidRequest("weeks must be at least 1")
    cutoff = _cutoff(on, LONDON) if on is not None else None
    effects: list[StageEffect] = []
    with Session(engine) as db:
        if db.get(Pupil, upn) is None:
            raise NotFound(f"no pupil with UPN {upn}")
        found = db.execute(_select(StageEntry.urn, *_STAGE).where(StageEntry.upn == upn)).all()
        # A pupil who changed school has entries at each: each is judged on that school's
        # calendar and marks.
        for urn in sorted({row[0] for row in found}):
            rows = [StageRow(*row[1:]) for row in found if row[0] == urn]
            calendar = load_calendar(db, urn, max(r.entered_date for r in rows))
            marks = _marks(db, urn, date.min, date.max, cutoff, upn).get(upn, [])
            until = on or (marks[-1].school_date if marks else date.min)
            effects += [stage_effect(r, marks, calendar, weeks, until) for r in rows]
    return sorted(effects, key=lambda e: (e.entered_date, e.stage))
