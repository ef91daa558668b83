"""Decisions as a person weighs them: a summary to scan (how long each has waited, its time limit,
school, kind, amount) and, for one decision, what approving it would set going: the notices with
their amounts, recipients and dates, the letters and who they go to, and what stops it.

Read only: nothing here decides. The amounts and dates come from the same law functions the
approval itself uses (casework.core.legal.penalties), over the same recipients (s576) and the
same 3-year history, so the preview and the approval cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from casework.core.labels import stage_label
from casework.core.legal.penalties import (
    NoticeTerms,
    PriorNotice,
    ServiceMethod,
    add_months,
    counted_notices,
    deemed_receipt,
    notice_terms,
)
from casework.core.legal.recipients import CARE_RELATIONSHIPS, notice_recipients
from casework.core.lifecycle import DecisionStatus, NoticeStatus
from casework.core.permissions import in_scope
from casework.core.policy import Policy
from casework.db.session import read_snapshot
from casework.db.tables import Contact, Decision, PenaltyNotice, Pupil, School
from casework.service.errors import NotFound
from casework.service.legal.context import load_view

SORTS = ("waiting", "limit", "school", "kind", "amount")


@dataclass(frozen=True, slots=True)
class DecisionSummary:
    decision: Decision
    pupil_name: str
    school_name: str
    kind: str
    waiting_days: int
    time_limit: date | None
    days_left: int | None
    amount_pence: int | None  # penalty notices only: the total if approved today
    recipients: int


@dataclass(frozen=True, slots=True)
class NoticePlan:
    recipient: str
    relationship: str
    address: str
    terms: NoticeTerms | None  # None: a third notice in 3 years, which the law bars


@dataclass(frozen=True)
class ApprovalPlan:
    summary: DecisionSummary
    pupil: Pupil
    effects: list[str]
    notices: list[NoticePlan] = field(default_factory=list)
    letters_to: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def time_limit(decision: Decision, policy: Policy) -> date | None:
    """The last day to lay an information for the offence (6 months from the last absence)."""
    if decision.stage == "education_supervision_order":
        return None  # an application to the family court, not an information laid
    if decision.context.get("lay_by_date"):
        return date.fromisoformat(str(decision.context["lay_by_date"]))
    last = decision.context.get("last_absence_date")
    if not last:
        return None
    return add_months(date.fromisoformat(str(last)), policy.legal.prosecution_limit_months)


def _is_parent(contact: Contact) -> bool:
    """s576, as casework.service.legal.context.notice_recipients applies it."""
    return contact.parental_responsibility or contact.relationship.lower() in CARE_RELATIONSHIPS


def _history(db: Session, upn: str) -> list[PriorNotice]:
    rows = db.exec(select(PenaltyNotice).where(PenaltyNotice.upn == upn)).all()
    return [PriorNotice(n.upn, n.contact_id, n.issued_date, NoticeStatus(n.status)) for n in rows]


def _terms(
    history: Sequence[PriorNotice],
    upn: str,
    contact_id: str,
    on: date,
    receipt: date,
    policy: Policy,
) -> NoticeTerms | None:
    prior = len(counted_notices(history, upn, contact_id, on, policy.legal))
    return notice_terms(prior, on, receipt, policy.legal)


def _summary(db: Session, decision: Decision, on: date, policy: Policy) -> DecisionSummary:
    pupil = db.get(Pupil, decision.upn)
    school = db.get(School, decision.urn)
    contacts = db.exec(select(Contact).where(Contact.upn == decision.upn)).all()
    parents = [c for c in contacts if _is_parent(c)]
    amount = None
    if decision.stage == "penalty_notice":
        history = _history(db, decision.upn)
        terms = [_terms(history, decision.upn, c.contact_id, on, on, policy) for c in parents]
        amount = sum(t.amount_pence for t in terms if t is not None)
    limit = time_limit(decision, policy)
    return DecisionSummary(
        decision,
        f"{pupil.forename} {pupil.surname}" if pupil else "",
        school.name if school else decision.urn,
        stage_label(decision.stage),
        (on - decision.requested_date).days,
        limit,
        (limit - on).days if limit else None,
        amount,
        len(parents),
    )


def _sort_key(sort: str) -> Callable[[DecisionSummary], tuple[Any, ...]]:
    keys: dict[str, Callable[[DecisionSummary], tuple[Any, ...]]] = {
        "waiting": lambda s: (-s.waiting_days, s.decision.id),
        "limit": lambda s: (s.time_limit or date.max, s.decision.id),
        "school": lambda s: (s.school_name, -s.waiting_days),
        "kind": lambda s: (s.kind, -s.waiting_days),
        "amount": lambda s: (-(s.amount_pence or 0), -s.waiting_days),
    }
    return keys.get(sort, keys["waiting"])


def waiting_summaries(
    engine: Engine, *, scope_urn: str | None, on: date, policy: Policy, sort: str = "waiting"
) -> list[DecisionSummary]:
    """Every decision waiting in scope at the end of `on`, one line each, in the chosen order.

    As the records stood that day (PATHWAY_AS_OF): a decision asked for later is not there yet,
    and one decided later was still waiting."""
    stmt = select(Decision).where(
        col(Decision.requested_date) <= on,
        or_(
            col(Decision.status) == DecisionStatus.REQUESTED.value,
            col(Decision.decided_date) > on,
        ),
    )
    if scope_urn is not None:
        stmt = stmt.where(col(Decision.urn) == scope_urn)
    with read_snapshot(engine) as db:
        rows = [_summary(db, d, on, policy) for d in db.exec(stmt)]
    return sorted(rows, key=_sort_key(sort))


def _effects(decision: Decision, policy: Policy, letters: int) -> list[str]:
    legal = policy.legal
    if decision.stage == "notice_to_improve":
        return [
            f"The Notice to Improve stage opens, with an improvement period of "
            f"{legal.nti_school_weeks} school weeks starting tomorrow.",
            f"A Notice to Improve letter is posted to {letters} parent(s) below.",
            "The pupil's social worker, youth offending team worker or virtual school head, "
            "if any, is told.",
        ]
    if decision.stage == "penalty_notice":
        return [
            "One penalty notice is issued to each parent below, at the amount the law allows.",
            "Each notice is posted as a letter; a payment task opens for the LA attendance "
            "officer, due on the last day to pay.",
        ]
    if decision.stage == "education_supervision_order":
        return [
            "The LA applies to the family court for an Education Supervision Order; each parent "
            "below is written to.",
            "A task opens for the LA officer to record the court's answer: made, with the "
            "supervisor's directions, or refused.",
        ]
    return [
        "Unpaid penalty notices are marked for prosecution; each parent below is written to.",
        "The court bundle (register extract, chronology, certificate) is made.",
    ]


def _plan(db: Session, decision: Decision, on: date, policy: Policy) -> ApprovalPlan:
    summary = _summary(db, decision, on, policy)
    pupil = db.get(Pupil, decision.upn)
    if pupil is None:
        raise NotFound(f"no pupil {decision.upn}")
    view = load_view(db, decision.urn, decision.upn, on)
    parents = notice_recipients(view.pupil.contacts)
    problems = [f"No postal address is recorded for {c.name}." for c in parents if not c.address]
    if not parents:
        problems.append("No parent with parental responsibility or care is recorded.")
    plan = ApprovalPlan(summary, pupil, _effects(decision, policy, len(parents)), problems=problems)
    plan.letters_to.extend(c.name for c in parents if c.address)
    if decision.stage == "penalty_notice":
        method = ServiceMethod(policy.legal.notice_service)
        receipt = deemed_receipt(on, method, policy.legal, view.calendar.bank_holidays)
        history = _history(db, decision.upn)
        plan.notices.extend(
            NoticePlan(
                c.name,
                c.relationship,
                c.address,
                _terms(history, decision.upn, c.contact_id, on, receipt, policy),
            )
            for c in parents
        )
    return plan


def plan_approval(
    engine: Engine, decision_id: int, *, scope_urn: str | None, on: date, policy: Policy
) -> ApprovalPlan:
    """What approving the decision today would do; NotFound outside the reader's scope."""
    with read_snapshot(engine) as db:
        decision = db.get(Decision, decision_id)
        if decision is None or not in_scope(scope_urn, decision.urn):
            raise NotFound(f"no decision {decision_id}")
        return _plan(db, decision, on, policy)
