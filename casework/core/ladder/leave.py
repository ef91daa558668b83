"""Leave of absence as the ladder sees it (DOMAIN rule 32, Part 2 §6 and §10).

The school office records a parent's application; it becomes a `leave_of_absence` decision for
the headteacher, whose context carries the dates (`leave_from`, `leave_to`). The rules read those
decisions from the case:

- a granted window's sessions are expected as `C`: any other mark there is a data alert to the
  school, and nobody is called about an absence inside it (`during_granted_leave`, the guards);
- the pupil not back within `leave_return_school_days` school days of the leave's end (granted,
  or refused and taken anyway) -> a `cme_enquiry` task: joint enquiries with the LA (reg 9(1)(h));
- back at school after the dates -> the leave stage closes;
- a penalty-notice decision about sessions inside refused dates shows the refusal as evidence
  (`refused_leave_evidence`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from casework.core.codes import CODES, PENALTY
from casework.core.ladder.proposals import (
    CloseStage,
    DataAlert,
    OpenTask,
    OwnerRole,
    Proposal,
    TaskKind,
)
from casework.core.ladder.recipients import long_date
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import DecisionState, PupilView
from casework.core.marks import SessionMark
from casework.core.policy import Policy

GRANTED_CODE = "C"
APPROVED, DECLINED = "approved", "declined"
# Back at school: any possible session the school can explain (present, illness, ...).
_BACK = frozenset(code for code, info in CODES.items() if info.is_possible) - PENALTY


def leave_key(upn: str, start: date, end: date) -> str:
    """The application's key; its decision and stage entry add `:decision` and `:stage`."""
    return f"{upn}:{Stage.LEAVE_OF_ABSENCE.value}:{start.isoformat()}:{end.isoformat()}"


@dataclass(frozen=True, slots=True)
class LeaveWindow:
    key: str  # the application's key
    status: str  # requested | approved | declined (the decision's status)
    start: date
    end: date
    decided_date: date | None

    @property
    def stage_key(self) -> str:
        return f"{self.key}:stage"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def _window(decision: DecisionState) -> LeaveWindow | None:
    start, end = decision.context.get("leave_from"), decision.context.get("leave_to")
    if decision.stage is not Stage.LEAVE_OF_ABSENCE or not start or not end:
        return None
    key = decision.key.removesuffix(":decision")
    return LeaveWindow(
        key,
        decision.status,
        date.fromisoformat(start),
        date.fromisoformat(end),
        decision.decided_date,
    )


def leave_windows(view: PupilView) -> Iterator[LeaveWindow]:
    """Every leave application of the pupil, from its decision."""
    for decision in view.case.decisions:
        found = _window(decision)
        if found is not None:
            yield found


def needs_leave_marks(view: PupilView) -> bool:
    """A leave stage still open: its rules look back to the leave's end (the long window)."""
    return view.case.open_stage(Stage.LEAVE_OF_ABSENCE) is not None


def during_granted_leave(view: PupilView) -> bool:
    """The sweep's own session falls inside leave the headteacher granted."""
    day = view.on.school_date
    return any(w.status == APPROVED and w.covers(day) for w in leave_windows(view))


@rule(Stage.LEAVE_OF_ABSENCE)
def granted_leave_marks(view: PupilView, policy: Policy) -> list[Proposal]:
    """A mark other than `C` inside granted leave: the school checks its register."""
    mark = view.current_mark
    if mark is None or mark.code == GRANTED_CODE or not during_granted_leave(view):
        return []
    window = next(
        w for w in leave_windows(view) if w.status == APPROVED and w.covers(mark.school_date)
    )
    key = f"{window.key}:mark:{mark.school_date.isoformat()}:{mark.session}"
    if view.case.has(key):
        return []
    context = {
        "mark_date": mark.school_date.isoformat(),
        "code": mark.code,
        "expected": GRANTED_CODE,
        "leave_from": window.start.isoformat(),
        "leave_to": window.end.isoformat(),
    }
    return [DataAlert(key, "leave_mark_mismatch", mark.session, context)]


def _taken(view: PupilView, window: LeaveWindow) -> bool:
    """The family went: granted leave, or refused leave with unauthorised absence inside it."""
    if window.status == APPROVED:
        return True
    return any(m.code in PENALTY and window.covers(m.school_date) for m in view.marks)


def _back_on(view: PupilView, window: LeaveWindow) -> date | None:
    school_session = view.calendar.is_school_session
    return next(
        (
            m.school_date
            for m in view.marks
            if m.school_date > window.end
            and m.code in _BACK
            and school_session(m.school_date, m.session)
        ),
        None,
    )


def _after_leave(view: PupilView, policy: Policy, window: LeaveWindow) -> list[Proposal]:
    back = _back_on(view, window)
    if back is not None:
        reason = f"back at school on {back.isoformat()} after the leave dates"
        return [CloseStage(Stage.LEAVE_OF_ABSENCE, window.stage_key, reason)]
    days = policy.leave.leave_return_school_days
    due = view.calendar.add_school_days(window.end, days)
    key = f"{window.key}:cme_enquiry"
    if view.on.school_date < due or view.case.has(key) or not _taken(view, window):
        return []
    context = {
        "reason": f"not back within {days} school days of the leave ending",
        "leave_from": window.start.isoformat(),
        "leave_to": window.end.isoformat(),
        "ground": "9(1)(h)",
    }
    return [
        OpenTask(
            TaskKind.CME_ENQUIRY,
            key,
            view.on.school_date,
            OwnerRole.LA_OFFICER,
            Stage.LEAVE_OF_ABSENCE,
            context=context,
        )
    ]


@rule(Stage.LEAVE_OF_ABSENCE)
def return_from_leave(view: PupilView, policy: Policy) -> list[Proposal]:
    """After decided leave: back closes the stage; not back in time asks the LA to enquire."""
    proposed: list[Proposal] = []
    for window in leave_windows(view):
        entry = next((s for s in view.case.stages if s.key == window.stage_key), None)
        if (
            window.status not in (APPROVED, DECLINED)
            or view.on.school_date <= window.end
            or entry is None
            or entry.status != "open"
        ):
            continue
        proposed += _after_leave(view, policy, window)
    return proposed


def refused_leave_evidence(
    view: PupilView, sessions: Sequence[SessionMark]
) -> tuple[str, dict[str, str]]:
    """A refused application whose dates the counted sessions fall in: the decision shows it.

    Returns the words added to the decision's reason and its context keys ("" and {} if none).
    """
    refused = [
        w
        for w in leave_windows(view)
        if w.status == DECLINED and any(w.covers(m.school_date) for m in sessions)
    ]
    if not refused:
        return "", {}
    w = refused[-1]
    decided = long_date(w.decided_date) if w.decided_date else "before it was taken"
    dates = f"{long_date(w.start)} to {long_date(w.end)}"
    text = f"leave for {dates} was asked for and refused on {decided}"
    context = {
        "refused_leave": text,
        "refused_leave_from": w.start.isoformat(),
        "refused_leave_to": w.end.isoformat(),
        "refused_leave_key": w.key,
    }
    return f"; {text}", context
