"""The frozen picture of one pupil the rules see: facts, visible marks, calendar, case so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType

from casework.core.calendar import SchoolCalendar, SweepPoint, academic_year_start
from casework.core.codes import CODES, PENALTY, UNEXPLAINED
from casework.core.ladder.stages import Stage
from casework.core.marks import SessionMark
from casework.core.measures import (
    AttendanceMeasures,
    Episode,
    PriorTotals,
    add_measures,
    consecutive_school_days,
    illness_sessions,
    measure,
    unexplained_episode,
)


@dataclass(frozen=True, slots=True)
class ContactFacts:
    contact_id: str
    name: str
    relationship: str
    parental_responsibility: bool
    priority: int
    mobile: str | None
    email: str | None
    preferred_channel: str
    language: str
    address: str


@dataclass(frozen=True, slots=True)
class PupilFacts:
    upn: str
    urn: str
    forename: str
    surname: str
    date_of_birth: date
    year_group: str
    sen_status: str
    looked_after: bool
    cp_cin: str
    social_worker_email: str | None
    yot_worker_email: str | None
    medical_condition: bool
    contacts: tuple[ContactFacts, ...]

    @property
    def has_ehcp(self) -> bool:
        return self.sen_status == "E"


@dataclass(frozen=True, slots=True)
class StageState:
    stage: Stage
    key: str
    status: str  # open | closed
    entered_date: date
    closed_date: date | None
    context: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TaskState:
    kind: str
    key: str
    status: str
    due_date: date
    outcome: str | None
    completed_date: date | None


@dataclass(frozen=True, slots=True)
class DecisionState:
    stage: Stage
    key: str
    status: str  # requested | approved | declined
    requested_date: date
    decided_date: date | None
    context: Mapping[str, str]


@dataclass(frozen=True)
class CaseState:
    """What the case already holds; rules read it so that they emit only on change."""

    stages: tuple[StageState, ...] = ()
    tasks: tuple[TaskState, ...] = ()
    decisions: tuple[DecisionState, ...] = ()
    keys: frozenset[str] = frozenset()  # every key of every row a sweep can create
    sent_message_keys: frozenset[str] = frozenset()  # messages that have left the outbox

    def has(self, key: str) -> bool:
        return key in self.keys

    def open_stage(self, stage: Stage) -> StageState | None:
        return self._open_stages.get(stage)

    @cached_property
    def _open_stages(self) -> dict[Stage, StageState]:
        # Asked about a dozen times a pupil by the rules: the first open entry of each stage.
        found: dict[Stage, StageState] = {}
        for entry in self.stages:
            if entry.status == "open":
                found.setdefault(entry.stage, entry)
        return found

    def entries(self, stage: Stage) -> list[StageState]:
        return [s for s in self.stages if s.stage == stage]


@dataclass(frozen=True)
class PupilView:
    pupil: PupilFacts
    school_name: str
    marks: Sequence[SessionMark]  # visible at the sweep point, oldest first
    calendar: SchoolCalendar
    case: CaseState
    on: SweepPoint
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # None: `marks` is the whole history. Otherwise `marks` starts at prior.window_start and
    # the year's earlier marks arrive counted (casework.db.year_totals).
    prior: PriorTotals | None = None
    # The school office, given in every letter and text to a family ("" when not known).
    school_phone: str = ""
    school_email: str = ""

    @property
    def upn(self) -> str:
        return self.pupil.upn

    def over(self, marks: Sequence[SessionMark], prior: PriorTotals | None) -> PupilView:
        """The same view over other marks: what `dataclasses.replace` gives, at a third of its
        cost (a sweep rebuilds every pupil's view on its window, 100,000 of them a day)."""
        return PupilView(
            self.pupil,
            self.school_name,
            marks,
            self.calendar,
            self.case,
            self.on,
            self.extra,
            prior,
            self.school_phone,
            self.school_email,
        )

    @cached_property
    def year_start(self) -> date:
        return academic_year_start(self.on.school_date)

    @cached_property
    def measures(self) -> AttendanceMeasures:
        """Year to date, from the pupil's first session on roll in this academic year."""
        if self.prior is None:
            return measure(self.marks, since=self.year_start)
        # A window that starts inside the year needs no date test on each of its marks.
        inside = self.prior.window_start >= self.year_start
        window = measure(self.marks) if inside else measure(self.marks, since=self.year_start)
        return add_measures(self.prior.measures, window)

    @cached_property
    def illness_sessions(self) -> int:
        """Sessions of this academic year coded illness (DOMAIN rule 10)."""
        window = illness_sessions(self.marks, self.year_start)
        return window if self.prior is None else self.prior.illness_sessions + window

    @property
    def n_marks(self) -> Sequence[SessionMark]:
        """Every visible mark that may still be an unresolved N, oldest first."""
        if self.prior is None or not self.prior.unresolved_n:
            return self.marks
        return [*self.prior.unresolved_n, *self.marks]

    @cached_property
    def episode(self) -> Episode | None:
        current = self.current_mark
        if current is None or current.code not in UNEXPLAINED:
            # Marks run oldest first and stop at the sweep point: the newest is this session's
            # mark or there is none, and the episode needs it unexplained. Most pupils stop here.
            return None
        return unexplained_episode(self.marks, self.calendar, self.on)

    def school_days_in_run(self, codes: frozenset[str]) -> int:
        """School days back from the sweep on which every mark was in `codes`
        (`consecutive_school_days`); none at once when this session's mark ends the run."""
        current = self.current_mark
        if (
            current is not None
            and current.code not in codes
            and self.calendar.is_school_session(current.school_date, current.session)
        ):
            return 0
        return consecutive_school_days(self.marks, self.calendar, self.on, codes)

    @cached_property
    def current_mark(self) -> SessionMark | None:
        """The visible mark for the sweep's own session, if the register has one."""
        last = self.marks[-1] if self.marks else None
        if last and last.school_date == self.on.school_date and last.session == self.on.session:
            return last
        return None


# A possible session coded outside G N O U ends every run the rules walk back over (episode,
# 10 days unauthorised, 20 days G N O); a window with one such session holds those runs whole.
_ENDS_RUNS = frozenset(code for code, info in CODES.items() if info.is_possible) - PENALTY


def needs_whole_history(view: PupilView) -> bool:
    """The recent window may cut something short: load this pupil's marks in full instead."""
    prior = view.prior
    if prior is None:
        return False
    for entry in view.case.stages:
        if entry.stage is Stage.NOTICE_TO_IMPROVE and entry.status == "open":
            start = entry.context.get("improvement_from") or entry.entered_date.isoformat()
            if min(date.fromisoformat(start), entry.entered_date) < prior.window_start:
                return True
    school_session = view.calendar.is_school_session
    return not any(
        m.code in _ENDS_RUNS and school_session(m.school_date, m.session) for m in view.marks
    )


def could_reach_behind_window(
    view: PupilView,
    weekly: Sequence[tuple[date, int]],
    school_weeks: int,
    codes: frozenset[str],
    line: int,
) -> bool:
    """A rule counting `codes` over the last `school_weeks` reaches behind the view's raw marks,
    and the weeks behind them (`weekly`, counted by week: an upper bound on the rule's count)
    with the raw marks since could reach `line`: the rule needs those earlier marks."""
    since = view.calendar.school_week_start(view.on.school_date, school_weeks)
    before = sum(n for week, n in weekly if week >= since)
    if before == 0:
        return False
    return before + sum(1 for m in view.marks if m.code in codes and m.school_date >= since) >= line


@dataclass(frozen=True)
class SchoolView:
    """A school's session as a whole: for register-level checks (missing or incomplete)."""

    urn: str
    school_name: str
    on: SweepPoint
    pupils_on_roll: int
    pupils_without_mark: tuple[str, ...]
    keys: frozenset[str]
