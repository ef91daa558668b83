"""Gathering what an approval is checked against, and turning the core's problems into refusals.

DOMAIN.md rules 26, 27, 39 and Part 2 §18. The checks themselves are pure
(casework.core.legal.approval and casework.core.legal.recipients); this module reads the facts
they need — the pupil as the ladder sees them, when "support considered" was last recorded, the
policy's window — and refuses with every problem at once, in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlmodel import Session, select

from casework.core.audit import AuditKind
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.approval import (
    SUPPORT_STAGES,
    ApprovalFacts,
    SupportGap,
    approval_problems,
    support_gaps,
)
from casework.core.legal.recipients import RecipientChoice, choose_recipients
from casework.core.policy import Policy
from casework.db.tables import AuditEntry, Decision
from casework.service.errors import InvalidRequest
from casework.service.legal.context import load_view


def gaps_of(view: PupilView, policy: Policy) -> tuple[SupportGap, ...]:
    """Rule 39: the pupil's open and overdue support tasks, and support stages never held."""
    stages = [s for s in SUPPORT_STAGES if policy.enabled(s)]
    return support_gaps(view.case, view.on.school_date, stages)


def decision_gaps(db: Session, decision: Decision, on: date, policy: Policy) -> list[str]:
    """The support gaps a waiting decision shows, in words (for the web page)."""
    view = load_view(db, decision.urn, decision.upn, on)
    return [g.text() for g in gaps_of(view, policy)]


def _support_considered_dates(db: Session, upn: str) -> tuple[date, ...]:
    rows = db.exec(
        select(AuditEntry).where(
            AuditEntry.upn == upn, AuditEntry.kind == AuditKind.SUPPORT_CONSIDERED.value
        )
    ).all()
    return tuple(e.school_date for e in rows if e.school_date is not None)


def approval_facts(
    db: Session,
    decision: Decision,
    view: PupilView,
    policy: Policy,
    factors: Mapping[str, str],
    confirmed: bool,
) -> ApprovalFacts:
    on = view.on.school_date
    weeks = policy.legal.support_considered_valid_school_weeks
    return ApprovalFacts(
        stage=Stage(decision.stage),
        on=on,
        pupil=view.pupil,
        factors=factors,
        support_considered_on=_support_considered_dates(db, decision.upn),
        support_valid_from=view.calendar.school_week_start(on, weeks),
        gaps=gaps_of(view, policy),
        gaps_confirmed=confirmed,
    )


def refuse_on(problems: Sequence[str]) -> None:
    """The service's answer to the core's problems: one refusal naming every one."""
    if problems:
        raise InvalidRequest("; ".join(problems))


def check_approval(facts: ApprovalFacts) -> None:
    refuse_on(approval_problems(facts))


def recipients_for(view: PupilView, chosen: Sequence[str]) -> RecipientChoice:
    """Part 2 §18: the parents this penalty-notice decision sends notices to."""
    choice = choose_recipients(view.pupil.contacts, chosen)
    refuse_on(choice.problems)
    return choice
