"""Pure factories for ladder tests: a `PupilView` from register strings, contacts, flags and case.

`make_view("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM")` is a pupil three days into an
unexplained absence; `make_register("2025-09-03", "2025-09-30", overrides="2025-09-15 M")`
writes a long register; `case_after` folds decisions into the case the next sweep sees, and
`run_sweeps` drives every AM and PM sweep over a range the way the daily flow would, with no
database. Nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from casework.core.calendar import RegisterSession, SchoolCalendar, SweepPoint, register_close_at
from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import (
    CloseStage,
    DataAlert,
    EnterStage,
    MakeReferral,
    OpenTask,
    Proposal,
    QueueMessage,
    RequestDecision,
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
from casework.core.marks import MarkVersion, SessionMark, visible_marks
from casework.core.policy import Policy, parse_policy
from tests.factories import AM_CLOSE, LONDON, PM_CLOSE, URN, make_calendar, make_marks, make_sweep

UPN = "X931400226001"  # a valid UPN (LA 931), so the same values also pass import checks
CALENDAR = make_calendar()  # default LA terms 2024-25 and 2025-26, England's bank holidays
DEFAULT_POLICY = Policy()
D = date.fromisoformat


def make_policy(**sections: Mapping[str, Any]) -> Policy:
    """The default policy with some keys changed, e.g. `absence={"home_visit_on_day": 4}`."""
    return parse_policy({name: dict(values) for name, values in sections.items()})


def make_contact(contact_id: str = f"{UPN}-1", **overrides: Any) -> ContactFacts:
    """A parent with parental responsibility who prefers SMS; override any field."""
    fields: dict[str, Any] = {
        "contact_id": contact_id,
        "name": "Alex Ames",
        "relationship": "mother",
        "parental_responsibility": True,
        "priority": 1,
        "mobile": "+447911226001",
        "email": "alex.ames@example.org",
        "preferred_channel": "sms",
        "language": "en",
        "address": "1 High Street, Anytown",
    }
    fields.update(overrides)
    return ContactFacts(**fields)


def make_parents(upn: str = UPN) -> tuple[ContactFacts, ...]:
    """Two parents with parental responsibility: mother by SMS first, father by email second."""
    return (
        make_contact(f"{upn}-1"),
        make_contact(
            f"{upn}-2",
            name="Jo Ames",
            relationship="father",
            priority=2,
            mobile="+447911226002",
            email="jo.ames@example.org",
            preferred_channel="email",
        ),
    )


def make_pupil(**overrides: Any) -> PupilFacts:
    """A Year 7 pupil with no SEN, no social care, two parents with PR; override any field."""
    fields: dict[str, Any] = {
        "upn": UPN,
        "urn": URN,
        "forename": "Sam",
        "surname": "Ames",
        "date_of_birth": date(2014, 3, 14),
        "year_group": "7",
        "sen_status": "N",
        "looked_after": False,
        "cp_cin": "none",
        "social_worker_email": None,
        "yot_worker_email": None,
        "medical_condition": False,
        "contacts": None,
    }
    fields.update(overrides)
    if fields["contacts"] is None:
        fields["contacts"] = make_parents(fields["upn"])
    return PupilFacts(**fields)


def stage_key(stage: Stage, entered: str, session: str | None = None, upn: str = UPN) -> str:
    """The key a rule gives a stage entry: by date, or by episode start for absence stages."""
    return ":".join([upn, stage.value, entered, *([session] if session else [])])


def make_stage(
    stage: Stage,
    entered: str = "2025-09-15",
    *,
    key: str | None = None,
    status: str = "open",
    closed: str | None = None,
    context: Mapping[str, str] | None = None,
) -> StageState:
    """A stage entry already on the case (open unless `status` says otherwise)."""
    return StageState(
        stage=stage,
        key=key or stage_key(stage, entered),
        status=status,
        entered_date=D(entered),
        closed_date=D(closed) if closed else None,
        context=dict(context or {}),
    )


def make_task(kind: str, key: str, due: str = "2025-09-15", **overrides: Any) -> TaskState:
    fields: dict[str, Any] = {
        "kind": kind,
        "key": key,
        "status": "open",
        "due_date": D(due),
        "outcome": None,
        "completed_date": None,
    }
    fields.update(overrides)
    return TaskState(**fields)


def make_case(
    *stages: StageState,
    tasks: Iterable[TaskState] = (),
    decisions: Iterable[DecisionState] = (),
    keys: Iterable[str] = (),
    sent: Iterable[str] = (),
) -> CaseState:
    """A case holding these rows; their keys are in `keys` as the snapshot would load them."""
    tasks, decisions = tuple(tasks), tuple(decisions)
    all_keys = set(keys) | {s.key for s in stages} | {t.key for t in tasks}
    all_keys |= {d.key for d in decisions}
    return CaseState(stages, tasks, decisions, frozenset(all_keys), frozenset(sent))


def make_register(
    start: str,
    end: str,
    code: str = "/",
    *,
    overrides: str = "",
    calendar: SchoolCalendar = CALENDAR,
) -> list[SessionMark]:
    """`code` in every school session from start to end (AM `/` becomes PM `\\` for present),
    then `overrides` ("2025-09-15 M, 2025-09-16 PM N") replacing those sessions."""
    marks = {
        (day, session): SessionMark(day, session, "\\" if code == "/" and session == "PM" else code)
        for day, session in calendar.sessions_between(D(start), D(end))
    }
    for mark in make_marks(overrides) if overrides else []:
        marks[(mark.school_date, mark.session)] = mark
    return [marks[k] for k in sorted(marks)]


def _visible(marks: Sequence[SessionMark], on: SweepPoint) -> list[SessionMark]:
    limit = (on.school_date, on.session.value)
    ordered = sorted(marks, key=lambda m: (m.school_date, m.session.value))
    return [m for m in ordered if (m.school_date, m.session.value) <= limit]


def make_view(
    register: str | Sequence[SessionMark] = "",
    sweep: str | SweepPoint = "Mon 2025-09-15 AM",
    *,
    calendar: SchoolCalendar = CALENDAR,
    case: CaseState | None = None,
    school_name: str = "Anytown Academy",
    **pupil: Any,
) -> PupilView:
    """The view a sweep builds: marks written by weekday back from the sweep's date (over school
    days of `calendar`), cut at the sweep's session; `pupil` overrides `make_pupil` fields."""
    on = make_sweep(sweep) if isinstance(sweep, str) else sweep
    if isinstance(register, str):
        marks = make_marks(register, ending=on.school_date, calendar=calendar) if register else []
    else:
        marks = list(register)
    return PupilView(
        pupil=make_pupil(**pupil),
        school_name=school_name,
        marks=_visible(marks, on),
        calendar=calendar,
        case=case or CaseState(),
        on=on,
    )


def sweep_at(day: date, session: RegisterSession) -> SweepPoint:
    """The sweep point of a session: when its register closed (the factories' close times)."""
    return SweepPoint(day, session, register_close_at(day, session, AM_CLOSE, PM_CLOSE, LONDON))


def case_after(case: CaseState, decisions: Iterable[Proposal], on: date) -> CaseState:
    """The case the next sweep loads after `decisions` were persisted on school date `on`."""
    stages = {s.key: s for s in case.stages}
    tasks, found = list(case.tasks), list(case.decisions)
    keys = set(case.keys)
    for d in decisions:
        if isinstance(d, EnterStage) and d.key not in stages:
            stages[d.key] = StageState(d.stage, d.key, "open", on, None, dict(d.context))
        elif isinstance(d, CloseStage) and d.entry_key in stages:
            stages[d.entry_key] = replace(stages[d.entry_key], status="closed", closed_date=on)
        elif isinstance(d, OpenTask) and d.key not in keys:
            tasks.append(TaskState(d.kind.value, d.key, "open", d.due_date, None, None))
        elif isinstance(d, RequestDecision) and d.key not in keys:
            found.append(DecisionState(d.stage, d.key, "requested", on, None, dict(d.context)))
        if isinstance(d, CloseStage):
            continue
        keys.add(d.key)
    return CaseState(
        tuple(stages.values()), tuple(tasks), tuple(found), frozenset(keys), case.sent_message_keys
    )


@dataclass(frozen=True)
class Swept:
    """One sweep of a run: where it was and what it decided."""

    on: SweepPoint
    decisions: list[Proposal]


def run_sweeps(
    register: Sequence[SessionMark] | Sequence[MarkVersion],
    start: str,
    end: str,
    *,
    policy: Policy = DEFAULT_POLICY,
    calendar: SchoolCalendar = CALENDAR,
    case: CaseState | None = None,
    **pupil: Any,
) -> list[Swept]:
    """Every AM and PM sweep from start to end, each seeing the case the last one left.

    Given `MarkVersion`s, each sweep sees the latest version recorded by its close (amendments).
    """
    state = case or CaseState()
    upn = pupil.get("upn", UPN)
    swept: list[Swept] = []
    for day, session in calendar.sessions_between(D(start), D(end)):
        on = sweep_at(day, session)
        if register and isinstance(register[0], MarkVersion):
            versions = [v for v in register if isinstance(v, MarkVersion)]
            marks: Sequence[SessionMark] = visible_marks(versions, on).get(upn, [])
        else:
            marks = [m for m in register if isinstance(m, SessionMark)]
        view = make_view(marks, on, calendar=calendar, case=state, **pupil)
        decisions = decide(view, policy)
        state = case_after(state, decisions, day)
        swept.append(Swept(on, decisions))
    return swept


def as_versions(marks: Iterable[SessionMark], upn: str = UPN) -> list[MarkVersion]:
    """Each mark as a version recorded when its session's register closed."""
    return [
        MarkVersion(
            upn,
            m.school_date,
            m.session,
            m.code,
            m.minutes_late,
            sweep_at(m.school_date, m.session).at,
        )
        for m in marks
    ]


def identity(decision: Proposal) -> str:
    """What makes a decision unique: its key, or the entry a CloseStage closes."""
    if isinstance(decision, CloseStage):
        return f"close:{decision.entry_key}"
    return decision.key


def of_type(decisions: Iterable[Proposal], kind: type[Any]) -> list[Any]:
    """The decisions of one type, in order."""
    return [d for d in decisions if isinstance(d, kind)]


def entered(decisions: Iterable[Proposal]) -> list[Stage]:
    """The stages entered, in order."""
    return [d.stage for d in of_type(decisions, EnterStage)]


def closed(decisions: Iterable[Proposal]) -> list[Stage]:
    return [d.stage for d in of_type(decisions, CloseStage)]


def task_kinds(decisions: Iterable[Proposal]) -> list[str]:
    return [d.kind.value for d in of_type(decisions, OpenTask)]


def messages(decisions: Iterable[Proposal]) -> list[QueueMessage]:
    return of_type(decisions, QueueMessage)


def alerts(decisions: Iterable[Proposal]) -> list[str]:
    return [d.reason for d in of_type(decisions, DataAlert)]


def referrals(decisions: Iterable[Proposal]) -> list[str]:
    return [d.reason for d in of_type(decisions, MakeReferral)]


def when(swept: Sequence[Swept], predicate: Any) -> list[str]:
    """ "2025-09-17 AM" for each sweep whose decisions satisfy `predicate`."""
    return [
        f"{s.on.school_date.isoformat()} {s.on.session.value}"
        for s in swept
        if predicate(s.decisions)
    ]


def make_school_view(
    sweep: str = "Mon 2025-09-15 AM",
    *,
    on_roll: int = 3,
    without_mark: Sequence[str] = (),
    keys: Iterable[str] = (),
    urn: str = URN,
) -> SchoolView:
    """A school's session as the register check sees it."""
    return SchoolView(
        urn, "Anytown Academy", make_sweep(sweep), on_roll, tuple(without_mark), frozenset(keys)
    )
