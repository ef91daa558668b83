"""Whether a person may approve a legal step, pure: the problems standing in the way, in words.

DOMAIN.md rules 23, 26, 27 and 39. Approving needs a pupil of compulsory school age; an answer
(any words: yes, no, not applicable) to every factor of rule 27, and for a prosecution a record
that an Education Supervision Order was considered and an attendance contract explored; for a
pupil with an EHCP, a medical condition, a social worker or who is looked after, "support
considered" recorded within the policy's window of school weeks; and, where the pupil's support
shows gaps (open or overdue support tasks, a support stage never held), an explicit
confirmation. Each check returns plain-English problems; the service layer refuses on any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from casework.core.labels import task_label
from casework.core.ladder.proposals import TaskKind
from casework.core.ladder.stages import SPECS, Stage
from casework.core.ladder.view import CaseState, PupilFacts
from casework.core.legal.penalties import ProsecutionClock, is_compulsory_school_age
from casework.core.lifecycle import OPEN_TASK_STATUSES, TaskStatus
from casework.core.wording import day_label

# Rule 27: the factors every legal decision weighs (the CLI's --factor NAME=TEXT names).
FACTORS: Mapping[str, str] = {
    "support_offered": "support offered",
    "support_engaged": "support engaged with",
    "send_or_medical": "SEND, EHCP or medical needs",
    "welfare_safeguarding": "welfare and safeguarding",
    "social_care": "social care involvement",
}
# Rule 26: a prosecution also needs these, each answered with what was done (not a plain no).
PROSECUTION_FACTORS: Mapping[str, str] = {
    "eso_considered": "an Education Supervision Order considered",
    "contract_explored": "an attendance contract explored",
}
SUPPORT_CONSIDERED = "support_considered"
_NOT_DONE = frozenset({"", "no", "n", "false", "0", "none", "not considered"})

# Rule 39: the support whose tasks and stages a decision shows.
SUPPORT_TASKS: frozenset[str] = frozenset(
    k.value
    for k in (
        TaskKind.ATTENDANCE_CONVERSATION,
        TaskKind.ATTENDANCE_MEETING,
        TaskKind.PLAN_REVIEW,
        TaskKind.CONSENT_REQUEST,
        TaskKind.SNF_COMPLETE,
        TaskKind.TAF_MEETING,
        TaskKind.TAF_REVIEW,
        TaskKind.SEVERE_ABSENCE_MEETING,
        TaskKind.LATENESS_MEETING,
        TaskKind.CONTRACT_OFFER,
        TaskKind.CONTRACT_REVIEW,
    )
)
# "any support stage never held (meeting, consent, TAF)"
SUPPORT_STAGES: tuple[Stage, ...] = (
    Stage.ATTENDANCE_PLAN,
    Stage.STRENGTHS_AND_NEEDS,
    Stage.TEAM_AROUND_FAMILY,
)


def is_done(value: object) -> bool:
    """A step recorded as done: anything but empty or a plain no."""
    return str(value or "").strip().lower() not in _NOT_DONE


@dataclass(frozen=True, slots=True)
class SupportGap:
    """One gap in the pupil's support a decision shows (rule 39)."""

    kind: str  # open_task | overdue_task | never_held
    what: str  # the task kind or the stage id
    due_date: date | None = None

    def text(self) -> str:
        if self.kind == "never_held":
            return f"{SPECS[Stage(self.what)].title}: never held"
        label = task_label(self.what)
        due = f", due {day_label(self.due_date)}" if self.due_date else ""
        return f"{label}: {'overdue' if self.kind == 'overdue_task' else 'open'}{due}"


def support_gaps(case: CaseState, on: date, stages: Iterable[Stage]) -> tuple[SupportGap, ...]:
    """Open or overdue support tasks and support stages (of `stages`) never entered."""
    open_values = {s.value for s in OPEN_TASK_STATUSES}
    gaps = [
        SupportGap(
            "overdue_task"
            if t.status == TaskStatus.OVERDUE.value or t.due_date < on
            else "open_task",
            t.kind,
            t.due_date,
        )
        for t in sorted(case.tasks, key=lambda t: (t.due_date, t.kind))
        if t.kind in SUPPORT_TASKS and t.status in open_values
    ]
    held = {s.stage for s in case.stages}
    gaps += [SupportGap("never_held", s.value) for s in stages if s not in held]
    return tuple(gaps)


def support_needs(pupil: PupilFacts) -> list[str]:
    """Why a legal step needs "support considered" first (rule 27 and DESIGN.md's guard)."""
    reasons = [
        ("an EHCP", pupil.has_ehcp),
        ("a medical condition", pupil.medical_condition),
        ("a social worker", bool(pupil.social_worker_email) or pupil.cp_cin in ("CIN", "CP")),
        ("looked-after status", pupil.looked_after),
    ]
    return [label for label, applies in reasons if applies]


@dataclass(frozen=True)
class ApprovalFacts:
    """What an approval is checked against, gathered by the service layer."""

    stage: Stage
    on: date
    pupil: PupilFacts
    factors: Mapping[str, str]
    support_considered_on: tuple[date, ...]  # dates "support considered" was recorded
    support_valid_from: date  # the first school date of the policy's window
    gaps: tuple[SupportGap, ...]
    gaps_confirmed: bool


def missing_factors(stage: Stage, factors: Mapping[str, str]) -> list[str]:
    """Rule 39: every factor needs an answer; a prosecution's two must say what was done."""
    missing = [name for name in FACTORS if not str(factors.get(name, "")).strip()]
    if stage is Stage.PROSECUTION:
        missing += [name for name in PROSECUTION_FACTORS if not is_done(factors.get(name))]
    return missing


def _factor_problem(stage: Stage, factors: Mapping[str, str]) -> list[str]:
    missing = missing_factors(stage, factors)
    if not missing:
        return []
    example = f"--factor {missing[0]}=..."
    problem = (
        f"every factor weighed needs an answer (yes, no or not applicable, in words): missing "
        f"{', '.join(missing)} (e.g. {example})"
    )
    if any(name in PROSECUTION_FACTORS for name in missing):
        problem += (
            "; before a prosecution an Education Supervision Order must have been considered "
            "and an attendance contract explored"
        )
    return [problem]


def _support_problem(facts: ApprovalFacts) -> list[str]:
    needs = support_needs(facts.pupil)
    if not needs:
        return []
    fresh = is_done(facts.factors.get(SUPPORT_CONSIDERED)) or any(
        facts.support_valid_from <= d <= facts.on for d in facts.support_considered_on
    )
    if fresh:
        return []
    stale = (
        f" (the last record, on {max(facts.support_considered_on).isoformat()}, is older than "
        f"the window starting {facts.support_valid_from.isoformat()})"
        if facts.support_considered_on
        else ""
    )
    return [
        f"pupil {facts.pupil.upn} has {', '.join(needs)}: record that support was considered "
        f"(--support-considered TEXT) before approving a legal step{stale}"
    ]


def _gaps_problem(facts: ApprovalFacts) -> list[str]:
    if not facts.gaps or facts.gaps_confirmed:
        return []
    listed = "; ".join(g.text() for g in facts.gaps)
    return [
        f"the pupil's support has gaps ({listed}): confirm that the step should go ahead "
        "anyway (--confirm-gaps)"
    ]


def approval_problems(facts: ApprovalFacts) -> list[str]:
    """Everything standing in the way of approving; empty when the approval may go ahead."""
    pupil = facts.pupil
    if not is_compulsory_school_age(pupil.date_of_birth, facts.on):
        return [
            f"pupil {pupil.upn} is not of compulsory school age on {facts.on}: "
            "no legal step applies"
        ]
    return (
        _factor_problem(facts.stage, facts.factors) + _support_problem(facts) + _gaps_problem(facts)
    )


def prosecution_problems(clock: ProsecutionClock | None, on: date, prosecutable: int) -> list[str]:
    """Rule 26 and reg 9: within the 6-month limit, and someone left to prosecute."""
    problems: list[str] = []
    if clock is not None and clock.is_expired(on):
        problems.append(
            f"the time limit passed on {clock.lay_by_date}: no prosecution is possible for this "
            "period; decline the decision (any unpaid notice is then withdrawn)"
        )
    if prosecutable == 0:
        problems.append("proceedings are barred: every notice was paid or withdrawn")
    return problems


@dataclass(frozen=True, slots=True)
class Interview:
    """One parent's invitation to an interview under caution (rule 36)."""

    contact_id: str
    respond_by: date  # the invitation's date plus the policy's school days
    outcome: str | None  # attended | declined | no_response, once recorded


def interview_problems(interviews: Iterable[Interview], on: date) -> list[str]:
    """Rule 36: a prosecution waits for each interview's outcome or the end of its wait."""
    waiting = [i for i in interviews if i.outcome is None and on < i.respond_by]
    if not waiting:
        return []
    listed = ", ".join(f"{i.contact_id} (until {i.respond_by.isoformat()})" for i in waiting)
    return [
        f"each parent invited to an interview under caution must have an outcome recorded, or "
        f"the time to respond must have passed: waiting for {listed}"
    ]
