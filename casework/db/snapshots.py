"""Load a school's frozen views for the core in bulk: one query per table per school, never N+1."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from casework.core.calendar import (
    CalendarRow,
    RegisterSession,
    SchoolCalendar,
    SweepPoint,
    build_calendar,
    england_bank_holidays,
    register_close_at,
)
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import (
    CaseState,
    ContactFacts,
    DecisionState,
    PupilFacts,
    PupilView,
    SchoolView,
    StageState,
    TaskState,
)
from casework.core.policy import Policy
from casework.db.driver_rows import driver_rows, memo_dates, memo_result
from casework.db.sweep_marks import windowed_views
from casework.db.tables import (
    CalendarEntry,
    Contact,
    Decision,
    Message,
    Pupil,
    Referral,
    School,
    StageEntry,
    Task,
)
from casework.db.year_totals import whole_year_marks
from casework.settings import LONDON

_UNSENT = {"queued", "cancelled"}


@dataclass(frozen=True)
class SchoolSnapshot:
    school: School
    calendar: SchoolCalendar
    on: SweepPoint
    pupils: list[PupilView]
    register: SchoolView


@lru_cache(maxsize=32)
def _bank_holidays(first_year: int, last_year: int) -> frozenset[date]:
    return england_bank_holidays(first_year, last_year)


def load_calendar(session: Session, urn: str, around: date) -> SchoolCalendar:
    c = _table(CalendarEntry).c
    query = sa.select(c.urn, c.entry_date, c.sessions, c.kind).where(c.urn.in_([urn, ""]))
    day = memo_result(session, c.entry_date)
    rows = tuple(
        CalendarRow(urn_, day(entry_date), sessions, kind)
        for urn_, entry_date, sessions, kind in driver_rows(
            session, query.order_by(*query.selected_columns)
        )
    )
    return _built_calendar(urn, rows, _holidays_for(rows, around))


def _holidays_for(rows: Sequence[CalendarRow], around: date) -> frozenset[date]:
    years = [r.entry_date.year for r in rows] or [around.year]
    return _bank_holidays(min(*years, around.year - 1), max(*years, around.year + 1))


def open_schools(
    session: Session, school_date: date, register_session: RegisterSession
) -> list[str]:
    """URNs of the schools whose register has that session on that date, from one read of the
    calendars: schools with no rows of their own (most) are answered by one calendar."""
    c = _table(CalendarEntry).c
    day = memo_result(session, c.entry_date)
    rows: dict[str, list[CalendarRow]] = defaultdict(list)
    query = sa.select(c.urn, c.entry_date, c.sessions, c.kind)
    for urn, entry_date, sessions, kind in driver_rows(
        session, query.order_by(*query.selected_columns)
    ):
        rows[urn].append(CalendarRow(urn, day(entry_date), sessions, kind))
    everyone = tuple(rows.get("", ()))
    answers: dict[tuple[CalendarRow, ...], bool] = {}
    found = []
    for (urn,) in driver_rows(
        session, sa.select(_table(School).c.urn).order_by(_table(School).c.urn)
    ):
        own = tuple(rows.get(urn, ()))
        if own not in answers:
            mine = (*everyone, *own)
            calendar = build_calendar(urn, mine, _holidays_for(mine, school_date))
            answers[own] = calendar.is_school_session(school_date, register_session)
        if answers[own]:
            found.append(urn)
    return found


@lru_cache(maxsize=64)
def _built_calendar(
    urn: str, rows: tuple[CalendarRow, ...], holidays: frozenset[date]
) -> SchoolCalendar:
    # A sweep loads each school's calendar twice and a process sweeps many schools: the same
    # rows give the same calendar (it is never changed once built).
    return build_calendar(urn, rows, holidays)


def sweep_point(school: School, school_date: date, session: RegisterSession) -> SweepPoint:
    """The moment the register of that session closed: what the sweep is allowed to see."""
    at = register_close_at(
        school_date, session, school.am_register_closes, school.pm_register_closes, LONDON
    )
    return SweepPoint(school_date, session, at)


def _pupil_facts(session: Session, urn: str, only: str | None) -> dict[str, PupilFacts]:
    # Columns, not ORM entities: a school's pupils and contacts are thousands of rows a sweep.
    c, p = _table(Contact).c, _table(Pupil).c
    contacts_query = (
        sa.select(
            c.upn,
            c.contact_id,
            c.name,
            c.relationship,
            c.parental_responsibility,
            c.priority,
            c.mobile,
            c.email,
            c.preferred_channel,
            c.language,
            c.address,
        )
        .join(_table(Pupil), p.upn == c.upn)
        .where(p.urn == urn)
    )
    pupils_query = sa.select(
        p.upn,
        p.urn,
        p.forename,
        p.surname,
        p.date_of_birth,
        p.year_group,
        p.sen_status,
        p.looked_after,
        p.cp_cin,
        p.social_worker_email,
        p.yot_worker_email,
        p.medical_condition,
    ).where(p.urn == urn)
    if only is not None:
        contacts_query = contacts_query.where(p.upn == only)
        pupils_query = pupils_query.where(p.upn == only)
    contacts: dict[str, list[ContactFacts]] = defaultdict(list)
    for upn, contact_id, name, relationship, pr, *rest in driver_rows(session, contacts_query):
        contacts[upn].append(ContactFacts(contact_id, name, relationship, bool(pr), *rest))
    born = memo_result(session, p.date_of_birth)
    return {
        upn: PupilFacts(
            upn,
            urn_,
            forename,
            surname,
            born(date_of_birth),
            year_group,
            sen_status,
            bool(looked_after),
            cp_cin,
            social_worker_email,
            yot_worker_email,
            bool(medical_condition),
            tuple(contacts.get(upn, ())),
        )
        for (
            upn,
            urn_,
            forename,
            surname,
            date_of_birth,
            year_group,
            sen_status,
            looked_after,
            cp_cin,
            social_worker_email,
            yot_worker_email,
            medical_condition,
        ) in driver_rows(session, pupils_query)
    }


def _table(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _by_upn(session: Session, query: sa.Executable) -> dict[str, list[tuple[Any, ...]]]:
    """The driver's rows of `query` (upn first) grouped by pupil, without the upn."""
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for upn, *rest in driver_rows(session, query):
        grouped[upn].append(tuple(rest))
    return grouped


class _JsonContext(Mapping[str, str]):
    """A stage's or decision's JSON context, decoded when a rule first reads it.

    A sweep late in the year loads tens of thousands of case rows and its rules read the
    context of a handful (a Notice to Improve's period, a plan's starting counts): decoding
    every one cost a fifth of loading the case history.
    """

    __slots__ = ("_decoded", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._decoded: dict[str, str] | None = None

    def _value(self) -> dict[str, str]:
        if self._decoded is None:
            self._decoded = dict(json.loads(self._text))
        return self._decoded

    def __getitem__(self, key: str) -> str:
        return self._value()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value())

    def __len__(self) -> int:
        return len(self._value())

    def __repr__(self) -> str:
        return repr(self._value())


_NO_CONTEXT: Mapping[str, str] = MappingProxyType({})


def _context(text: str | None) -> Mapping[str, str]:
    # Read as text (`_as_text`) on both databases: PostgreSQL's driver would decode every JSONB.
    return _NO_CONTEXT if text is None or text == "{}" else _JsonContext(text)


def _as_text(column: sa.Column[Any]) -> sa.ColumnElement[str]:
    return sa.cast(column, sa.Text)


_STAGES = {stage.value: stage for stage in Stage}  # a dict lookup costs less than Stage(value)


def _case_states(session: Session, urn: str, on: date) -> dict[str, CaseState]:
    # The driver's rows: a school's case history is thousands of rows a sweep by midsummer.
    s, t, d, r = (_table(m).c for m in (StageEntry, Task, Decision, Referral))
    stages = _by_upn(
        session,
        sa.select(
            s.upn, s.stage, s.key, s.status, s.entered_date, s.closed_date, _as_text(s.context)
        ).where(s.urn == urn),
    )
    tasks = _by_upn(
        session,
        sa.select(t.upn, t.kind, t.key, t.status, t.due_date, t.outcome, t.completed_date).where(
            t.urn == urn, t.upn.is_not(None)
        ),
    )
    decisions = _by_upn(
        session,
        sa.select(
            d.upn, d.stage, d.key, d.status, d.requested_date, d.decided_date, _as_text(d.context)
        ).where(d.urn == urn),
    )
    referrals = _by_upn(session, sa.select(r.upn, r.key).where(r.urn == urn))
    m = _table(Message).c
    messages = _by_upn(
        session,
        sa.select(m.upn, m.idempotency_key, m.status).where(m.urn == urn, m.school_date == on),
    )
    day = memo_dates()

    def maybe_day(value: Any) -> date | None:
        return None if value is None else day(value)

    def case_state(upn: str) -> CaseState:
        stage_states = tuple(
            StageState(_STAGES[stage], key, status, day(entered), maybe_day(closed), _context(ctx))
            for stage, key, status, entered, closed, ctx in stages.get(upn, ())
        )
        task_states = tuple(
            TaskState(kind, key, status, day(due), outcome, maybe_day(completed))
            for kind, key, status, due, outcome, completed in tasks.get(upn, ())
        )
        decision_states = tuple(
            DecisionState(_STAGES[stage], key, status, day(asked), maybe_day(done), _context(ctx))
            for stage, key, status, asked, done, ctx in decisions.get(upn, ())
        )
        message_rows = messages.get(upn, ())
        keys = {s.key for s in stage_states} | {t.key for t in task_states}
        keys |= {d.key for d in decision_states} | {key for (key,) in referrals.get(upn, ())}
        keys |= {key for key, _ in message_rows}
        sent = {key for key, status in message_rows if status not in _UNSENT}
        return CaseState(
            stage_states, task_states, decision_states, frozenset(keys), frozenset(sent)
        )

    upns = set(stages) | set(tasks) | set(decisions) | set(referrals) | set(messages)
    return {upn: case_state(upn) for upn in upns}


def school_alert_keys(session: Session, urn: str, on: date) -> frozenset[str]:
    rows = session.execute(
        sa.select(col(Task.key)).where(
            col(Task.urn) == urn, col(Task.upn).is_(None), col(Task.created_date) == on
        )
    )
    return frozenset(key for (key,) in rows)


def load_school(
    session: Session,
    urn: str,
    school_date: date,
    register_session: RegisterSession,
    only_upn: str | None = None,
    window_for: Policy | None = None,
) -> SchoolSnapshot | None:
    """Everything the core needs to sweep one school's session, or None for an unknown school.

    Args:
        window_for: read raw marks only for the recent window this policy's rules look back
            over and count the rest of the year in the database (the sweep); None reads the
            whole year (case pages).
    """
    school = session.get(School, urn)
    if school is None:
        return None
    calendar = load_calendar(session, urn, school_date)
    on = sweep_point(school, school_date, register_session)
    facts = _pupil_facts(session, urn, only_upn)
    only = None if only_upn is None else {only_upn}
    cases = _case_states(session, urn, school_date)
    whole_year = {} if window_for is not None else whole_year_marks(session, calendar, on, only)
    views = [
        PupilView(
            pupil=pupil,
            school_name=school.name,
            marks=whole_year.get(upn, []),
            calendar=calendar,
            case=cases.get(upn, CaseState()),
            on=on,
            school_phone=school.phone,
            school_email=school.email,
        )
        for upn, pupil in sorted(facts.items())
    ]
    if window_for is not None:
        views = windowed_views(session, views, calendar, on, window_for, only)
    without_mark = tuple(v.upn for v in views if v.current_mark is None)
    register = SchoolView(
        urn, school.name, on, len(views), without_mark, school_alert_keys(session, urn, school_date)
    )
    return SchoolSnapshot(school, calendar, on, views, register)
