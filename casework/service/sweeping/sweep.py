"""The daily sweep: per school and set-based; load, decide for every pupil, persist at once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import chain

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from casework.core.calendar import RegisterSession, SchoolCalendar, academic_year_start
from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import Proposal
from casework.core.ladder.register_checks import check_register, register_missing
from casework.core.ladder.window import SHORT_WEEKS
from casework.core.policy import Policy
from casework.db.session import read_snapshot, unit_of_work
from casework.db.snapshots import SchoolSnapshot, load_calendar, load_school, open_schools
from casework.db.tables import School, SweepRun
from casework.db.weekly_tallies import first_counted_week, keep_span_totals, refresh_tallies
from casework.service.errors import NotFound
from casework.service.progress import SILENT, Progress
from casework.service.proposals import (
    Target,
    apply_many,
    ensure_cases,
    render_messages,
    write_audit,
)
from casework.service.sweeping.collector import collector_paused
from casework.service.sweeping.office import office_messages
from casework.service.sweeping.processes import SchoolProcesses, worker_count
from casework.service.tasks.deadlines import run_deadlines
from notifications.rendering import Rendered

log = logging.getLogger(__name__)
SESSIONS = (RegisterSession.AM, RegisterSession.PM)


@dataclass(frozen=True)
class SchoolSweepResult:
    urn: str
    school_date: date
    session: str
    pupils: int
    decisions: int
    created: int
    skipped: bool


def schools_to_sweep(engine: Engine, school_date: date, session: RegisterSession) -> list[str]:
    """URNs of the schools whose register has that session on that date."""
    with Session(engine) as db:
        return open_schools(db, school_date, session)


# Asked twice a school a sweep: built once, with the school, day and session as parameters.
_SWEPT = sa.select(col(SweepRun.id)).where(
    col(SweepRun.urn) == sa.bindparam("urn"),
    col(SweepRun.school_date) == sa.bindparam("school_date"),
    col(SweepRun.session) == sa.bindparam("session"),
)


def _already_swept(db: Session, urn: str, school_date: date, session: RegisterSession) -> bool:
    values = {"urn": urn, "school_date": school_date, "session": session.value}
    return db.execute(_SWEPT, values).first() is not None


def _span(calendar: SchoolCalendar, school_date: date) -> tuple[date, date]:
    """(first week, window start) of the tallied span behind a sweep's shortest raw window."""
    window_start = calendar.school_week_start(school_date, SHORT_WEEKS)
    return first_counted_week(academic_year_start(school_date), window_start), window_start


def _next_session_day(
    calendar: SchoolCalendar, school_date: date, session: RegisterSession
) -> date | None:
    """The day of the school's next register after this one, if it is in the same year."""
    if session != calendar.sessions_on(school_date)[-1]:
        return school_date
    after = calendar.next_school_day(school_date)
    if after is None or academic_year_start(after) != academic_year_start(school_date):
        return None
    return after


def keep_counts(
    db: Session, calendar: SchoolCalendar, school_date: date, session: RegisterSession
) -> None:
    """Bring the school's weekly tallies and kept span up to date for this sweep's window, and
    for the next register's when its window starts a week later: the week's last sweep moves
    the span that the next week's first (a Monday morning, with first-day calls waiting) would
    otherwise move before it could read."""
    first_week, window_start = _span(calendar, school_date)
    refresh_tallies(db, calendar.urn, window_start)
    keep_span_totals(db, calendar.urn, first_week, window_start)
    after = _next_session_day(calendar, school_date, session)
    ahead = None if after is None else _span(calendar, after)
    if ahead is not None and ahead != (first_week, window_start):
        refresh_tallies(db, calendar.urn, ahead[1])
        keep_span_totals(db, calendar.urn, *ahead, keep=(first_week, window_start))


def _decide_all(snapshot: SchoolSnapshot, policy: Policy) -> dict[str, list[Proposal]]:
    if register_missing(snapshot.register):
        return {}  # no marks at all: an alert to the school, never a message to a family
    decided = {view.upn: decide(view, policy) for view in snapshot.pupils}
    return {upn: decisions for upn, decisions in decided.items() if decisions}


def _persist(
    db: Session,
    snapshot: SchoolSnapshot,
    per_pupil: dict[str, list[Proposal]],
    school_level: list[Proposal],
    now: datetime,
    rendered: Mapping[str, Rendered],
) -> int:
    urn, school_date = snapshot.school.urn, snapshot.on.school_date
    cases = ensure_cases(db, per_pupil, urn, school_date, now)
    batch = [(Target(urn, school_date, None, None), school_level)]
    batch += [
        (Target(urn, school_date, upn, cases[upn]), decisions)
        for upn, decisions in per_pupil.items()
    ]
    audit = apply_many(db, batch, now, rendered)
    write_audit(db, audit, now)
    return len(audit)


def _record_run(
    db: Session, urn: str, school_date: date, session: RegisterSession, now: datetime, count: int
) -> None:
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.execute(
        insert(SweepRun)
        .values(
            urn=urn,
            school_date=school_date,
            session=session.value,
            completed_at=now,
            decisions=count,
        )
        .on_conflict_do_nothing()
    )


@collector_paused()
def sweep_school(
    engine: Engine,
    urn: str,
    school_date: date,
    session: RegisterSession,
    *,
    policy: Policy,
    now: datetime,
) -> SchoolSweepResult:
    """Sweep one school's session; a second run of it, or one running alongside, changes nothing.

    Three steps, so that schools sweep side by side even on SQLite's single writer: a short write
    brings the school's weekly tallies up to date; a snapshot read loads and decides; a short
    write stores the decisions with keyed inserts, after checking that no sweep of the same
    session got there first. An action a person takes between the read and the write is seen
    by the next sweep, as one taken just after the write would be.
    """
    skipped = SchoolSweepResult(urn, school_date, session.value, 0, 0, 0, skipped=True)
    with unit_of_work(engine) as db:
        if _already_swept(db, urn, school_date, session):
            return skipped
        school = db.get(School, urn)
        if school is None:
            raise NotFound(f"no school with URN {urn}")
        calendar = load_calendar(db, urn, school_date)
        if not calendar.is_school_session(school_date, session):
            return skipped
        keep_counts(db, calendar, school_date, session)
    with read_snapshot(engine) as db:
        snapshot = load_school(db, urn, school_date, session, window_for=policy)
        if snapshot is None:
            raise NotFound(f"no school with URN {urn}")
        school_level = check_register(snapshot.register)
        school_level += office_messages(db, snapshot.register, school_level)
        per_pupil = _decide_all(snapshot, policy)
    count = len(school_level) + sum(len(d) for d in per_pupil.values())
    rendered = render_messages(chain(school_level, *per_pupil.values()))
    with unit_of_work(engine) as db:
        if _already_swept(db, urn, school_date, session):
            return skipped
        created = _persist(db, snapshot, per_pupil, school_level, now, rendered)
        _record_run(db, urn, school_date, session, now, count)
    log.info("swept school=%s date=%s session=%s created=%s", urn, school_date, session, created)
    return SchoolSweepResult(
        urn, school_date, session.value, len(snapshot.pupils), count, created, skipped=False
    )


def run_sweep(
    engine: Engine,
    school_date: date,
    session: RegisterSession,
    *,
    policy: Policy,
    now: datetime,
    urns: list[str] | None = None,
    workers: int = 1,
) -> list[SchoolSweepResult]:
    """Sweep every school open that session, in this process or in `workers` processes.

    Each school's sweep stands alone, so a pool of processes sweeps several at once; it pays
    off for an LA of many schools (a process costs about a second to start).

    Args:
        workers: processes to use; 0 = one per core when there are MANY_SCHOOLS or more.
    """
    targets = urns if urns is not None else schools_to_sweep(engine, school_date, session)
    processes = worker_count(engine, workers, len(targets))
    if processes <= 1:
        return [
            sweep_school(engine, urn, school_date, session, policy=policy, now=now)
            for urn in targets
        ]
    with SchoolProcesses(engine, processes, sweep_school) as pool:
        return pool.sweep_all(targets, school_date, session, policy=policy, now=now)


def simulate(
    engine: Engine,
    start: date,
    end: date,
    *,
    policy: Policy,
    now: datetime | None = None,
    progress: Progress = SILENT,
) -> list[SchoolSweepResult]:
    """Every school day in the range as the live system runs it (DESIGN.md `pathway simulate`):
    the AM sweep, the PM sweep, each as if its register had just closed, then that day's
    deadlines run (overdue tasks escalated, unpaid notices expired into decisions).

    Args:
        now: when the actions are recorded (audit `at` is always real time); default: the clock.
        progress: hears one step per calendar day of the range.
    """
    now = now or datetime.now(UTC)
    results: list[SchoolSweepResult] = []
    progress.phase(f"simulating {start} to {end}", total=(end - start).days + 1)
    day = start
    while day <= end:
        swept: list[SchoolSweepResult] = []
        for session in SESSIONS:
            swept += run_sweep(engine, day, session, policy=policy, now=now)
        if swept:  # some school's day: its deadlines run once its registers have been swept
            run_deadlines(engine, day, policy=policy, now=now)
        results += swept
        progress.advance()
        day += timedelta(days=1)
    return results
