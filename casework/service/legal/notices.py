"""Penalty notices in the shell: issue one per parent per child, and ask about prosecution.

DOMAIN rules 21–22 and 24. Approving a penalty-notice decision issues a notice to each parent
with parental responsibility (or care): that parent's 3-year count for this child makes it a
first notice (reduced and full rate), a second (full rate only), or none at all, in which case a
decision on prosecution (or an ESO or a contract) is asked for instead. Each notice is posted
as its own letter through the outbox (so the rendered notice is kept exactly as sent and the
PDF is made by dispatch), gets a `notice_payment` task due on its last payment day and a
`notice.issued` audit entry. Payment and expiry live in `casework.service.legal.payments`,
withdrawal in `casework.service.legal.withdrawal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.proposals import EnterStage, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import ContactFacts, PupilView
from casework.core.legal.eso import eso_request
from casework.core.legal.penalties import (
    NoticeTerms,
    PriorNotice,
    ServiceMethod,
    counted_notices,
    deemed_receipt,
    notice_terms,
    three_year_flag,
)
from casework.core.legal.recipients import choose_recipients
from casework.core.lifecycle import NoticeStatus
from casework.core.policy import Policy
from casework.db.tables import Decision, PenaltyNotice
from casework.service.errors import InvalidRequest
from casework.service.legal.context import (
    letter_to,
    notice_context,
    notice_reference,
    officer,
    prosecution_request,
    tell_professionals,
)
from casework.service.legal.interviews import invitations
from casework.service.proposals import Target, apply_proposals

NOTICE_TEMPLATE = "legal/penalty_notice"


@dataclass(frozen=True)
class IssuedNotice:
    notice_id: int
    contact_id: str
    sequence: int
    amount_pence: int
    reduced_amount_pence: int | None
    receipt_date: date
    reduced_pay_by_date: date | None
    pay_by_date: date

    @classmethod
    def of(cls, notice: PenaltyNotice) -> IssuedNotice:
        return cls(
            notice.id or 0,
            notice.contact_id,
            notice.sequence,
            notice.amount_pence,
            notice.reduced_amount_pence,
            notice.receipt_date,
            notice.reduced_pay_by_date,
            notice.pay_by_date,
        )


@dataclass
class IssueResult:
    drafts: list[AuditDraft] = field(default_factory=list)
    notices: list[IssuedNotice] = field(default_factory=list)
    barred: list[str] = field(default_factory=list)  # contact ids no notice may go to
    # Part 2 §8.2: that parent's first notice is older than 3 years and a later one is not.
    flagged: list[str] = field(default_factory=list)


def notice_detail(notice: PenaltyNotice, **extra: object) -> dict[str, object]:
    """`notice.*` audit detail (DESIGN.md): reduced_amount_pence only when a reduction applies."""
    detail: dict[str, object] = {
        "notice_id": notice.id,
        "contact_id": notice.contact_id,
        "sequence": notice.sequence,
        "amount_pence": notice.amount_pence,
        "pay_by_date": notice.pay_by_date.isoformat(),
        "decision_id": notice.decision_id,
        "notice_reference": notice_reference(notice.id or 0),
    }
    if notice.reduced_amount_pence is not None:
        detail["reduced_amount_pence"] = notice.reduced_amount_pence
        detail["reduced_pay_by_date"] = (
            notice.reduced_pay_by_date.isoformat() if notice.reduced_pay_by_date else None
        )
    return {**detail, **extra}


def notice_audit(
    kind: AuditKind, target: Target, notice: PenaltyNotice, **extra: object
) -> AuditDraft:
    return AuditDraft(
        kind=kind,
        actor=target.actor,
        school_date=target.school_date,
        urn=target.urn,
        upn=target.upn,
        case_id=target.case_id,
        stage=Stage.PENALTY_NOTICE.value,
        detail=notice_detail(notice, **extra),
    )


def _history(db: Session, upn: str) -> list[PriorNotice]:
    rows = db.exec(select(PenaltyNotice).where(PenaltyNotice.upn == upn)).all()
    return [PriorNotice(n.upn, n.contact_id, n.issued_date, NoticeStatus(n.status)) for n in rows]


def _new_notice(
    db: Session, decision: Decision, contact: ContactFacts, terms: NoticeTerms
) -> PenaltyNotice:
    notice = PenaltyNotice(
        decision_id=decision.id or 0,
        upn=decision.upn,
        contact_id=contact.contact_id,
        sequence=terms.sequence,
        amount_pence=terms.amount_pence,
        reduced_amount_pence=terms.reduced_amount_pence,
        issued_date=terms.issued_date,
        receipt_date=terms.receipt_date,
        reduced_pay_by_date=terms.reduced_pay_by_date,
        pay_by_date=terms.pay_by_date,
        status=NoticeStatus.ISSUED.value,
    )
    db.add(notice)
    db.flush()
    return notice


def _payment_task(decision: Decision, notice: PenaltyNotice) -> OpenTask:
    return OpenTask(
        TaskKind.NOTICE_PAYMENT,
        f"{decision.key}:payment:{notice.contact_id}",
        notice.pay_by_date,
        OwnerRole.LA_OFFICER,
        Stage.PENALTY_NOTICE,
        context={
            "notice_id": str(notice.id),
            "contact_id": notice.contact_id,
            "notice_reference": notice_reference(notice.id or 0),
        },
    )


def _recipients(decision: Decision, view: PupilView) -> list[ContactFacts]:
    """The parents the decision named (Part 2 §18), as the contacts are held today."""
    named = [c for c in str(decision.context.get("recipients", "")).split(",") if c]
    choice = choose_recipients(view.pupil.contacts, named)
    if choice.problems:
        raise InvalidRequest("; ".join(choice.problems))
    return list(choice.receive)


@dataclass(frozen=True)
class _Issuing:
    """One approval's notices: who issues them, when, and how they are served."""

    db: Session
    decision: Decision
    view: PupilView
    target: Target
    policy: Policy
    method: ServiceMethod
    signer: tuple[str, str]


def _issue_one(
    job: _Issuing, contact: ContactFacts, terms: NoticeTerms, result: IssueResult
) -> list[Proposal]:
    """Record one notice; its letter and payment task are returned to be written."""
    decision, target = job.decision, job.target
    notice = _new_notice(job.db, decision, contact, terms)
    context = notice_context(
        job.view, job.policy, decision, terms, notice_reference(notice.id or 0), job.signer
    )
    result.drafts.append(
        notice_audit(
            AuditKind.NOTICE_ISSUED,
            target,
            notice,
            issued_date=terms.issued_date.isoformat(),
            served=job.method.value,
            receipt_date=terms.receipt_date.isoformat(),
            signed_by=job.signer[0],  # rule 40: the person who decided, or the policy's officer
            three_year_flag=contact.contact_id in result.flagged,
        )
    )
    result.notices.append(IssuedNotice.of(notice))
    key = f"{decision.key}:notice:{contact.contact_id}"
    return [
        letter_to(contact, key, NOTICE_TEMPLATE, Stage.PENALTY_NOTICE, context),
        _payment_task(decision, notice),
    ]


def issue_penalty_notices(
    db: Session,
    decision: Decision,
    view: PupilView,
    target: Target,
    policy: Policy,
    now: datetime,
) -> IssueResult:
    """One notice per parent per child, at the rate the 3-year count allows (rule 21)."""
    recipients = _recipients(decision, view)
    on, legal, history = target.school_date, policy.legal, _history(db, decision.upn)
    method = ServiceMethod(legal.notice_service)
    receipt = deemed_receipt(on, method, legal, view.calendar.bank_holidays)
    job = _Issuing(db, decision, view, target, policy, method, officer(db, target.actor, policy))
    result = IssueResult()
    proposals: list[Proposal] = []
    for contact in recipients:
        prior = len(counted_notices(history, decision.upn, contact.contact_id, on, legal))
        if three_year_flag(history, decision.upn, contact.contact_id, on, legal):
            result.flagged.append(contact.contact_id)
        terms = notice_terms(prior, on, receipt, legal)
        if terms is None:
            result.barred.append(contact.contact_id)
        else:
            proposals += _issue_one(job, contact, terms, result)
    if result.flagged:
        decision.context = {**decision.context, "three_year_flag": ",".join(result.flagged)}
    proposals += _stage_and_follow_up(decision, view, policy, result)
    result.drafts += apply_proposals(db, target, proposals, now)
    return result


def _stage_and_follow_up(
    decision: Decision, view: PupilView, policy: Policy, result: IssueResult
) -> list[Proposal]:
    proposals: list[Proposal] = []
    if result.notices:
        key = f"{decision.key}:stage"
        proposals.append(
            EnterStage(
                Stage.PENALTY_NOTICE,
                key,
                f"penalty notice decision {decision.id} approved",
                {"decision_id": str(decision.id), "notices": str(len(result.notices))},
            )
        )
        proposals += tell_professionals(view, policy, key, Stage.PENALTY_NOTICE)
    if result.barred:
        reason = (
            f"no further penalty notice may be issued to {', '.join(result.barred)} for this "
            f"child ({policy.legal.notice_lookback_years}-year limit): decide on prosecution, "
            "or consider an Education Supervision Order or an attendance contract"
        )
        request = prosecution_request(
            decision,
            f"{decision.upn}:prosecution:barred:{decision.id}",
            reason,
            kind="notice_limit",
            contact_ids=result.barred,
            notice_ids=(),
            policy=policy,
        )
        proposals += [request, *invitations(view, policy, request, result.barred)]
        eso = eso_request(view.pupil, view.on.school_date, request)  # rule 38
        proposals += [eso] if eso is not None else []
    return proposals


def notices_of(db: Session, ids: Sequence[int]) -> list[PenaltyNotice]:
    if not ids:
        return []
    return list(db.exec(select(PenaltyNotice).where(col(PenaltyNotice.id).in_(list(ids)))))


def list_notices(engine: Engine, upn: str | None = None) -> list[PenaltyNotice]:
    """Penalty notices, newest last (for the CLI and reports)."""
    stmt = select(PenaltyNotice)
    if upn:
        stmt = stmt.where(PenaltyNotice.upn == upn.strip().upper())
    with Session(engine) as db:
        return list(db.exec(stmt.order_by(col(PenaltyNotice.id))))
