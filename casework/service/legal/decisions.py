"""Legal-step decisions: only a person approves or declines, with a reason and the factors weighed.

DOMAIN rules 20–27, 36, 39 and Part 2 §18. `decide_with_outcome` is the one entry point (the CLI
and the web call it). The checks are pure (casework.core.legal.approval): a pupil of compulsory
school age; every factor of rule 27 answered; "support considered" recorded within the policy's
window for a pupil with an EHCP, a medical condition, a social worker or who is looked after;
the support gaps shown confirmed; for a prosecution an ESO considered and a contract explored,
the 6-month limit, someone left to prosecute and every interview under caution answered or
waited for. A penalty-notice approval records which parents receive a notice and why any do
not. Approval then does what the step means — a Notice to Improve starts its improvement period,
a penalty notice goes to each chosen parent, a prosecution gets its letters, evidence bundle and
`lay_information` task — in the same transaction as the decision and its audit entries.
Declining a prosecution that unpaid notices asked for withdraws them (reg 9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from casework.core.legal.approval import (
    SUPPORT_CONSIDERED,
    interview_problems,
    prosecution_problems,
)
from casework.core.legal.eso import eso_problems
from casework.core.lifecycle import DecisionStatus
from casework.core.policy import Policy, load_policy
from casework.db.session import unit_of_work
from casework.db.tables import Decision, Pupil
from casework.service.errors import Conflict, InvalidRequest, NotFound
from casework.service.legal.approval import (
    approval_facts,
    check_approval,
    recipients_for,
    refuse_on,
)
from casework.service.legal.context import check_decider, check_la_officer, load_view
from casework.service.legal.interviews import interviews_of
from casework.service.legal.steps import (
    EFFECTS,
    DecisionOutcome,
    LegalAct,
    clock_of,
    prosecutable_parents,
)
from casework.service.locking import claim, decide_status, decision_taken
from casework.service.proposals import Target, write_audit
from casework.settings import Settings


def find_requested_decision(engine: Engine, upn: str, kind: str) -> int:
    """The id of the one decision of `kind` waiting for a person about the pupil."""
    with Session(engine) as db:
        ids = list(
            db.exec(
                select(Decision.id).where(
                    Decision.upn == upn,
                    Decision.stage == kind,
                    Decision.status == DecisionStatus.REQUESTED.value,
                )
            )
        )
    if not ids:
        raise NotFound(f"no {kind} decision waiting for pupil {upn}")
    if len(ids) > 1:
        raise InvalidRequest(f"{len(ids)} {kind} decisions waiting for pupil {upn}: name one by id")
    return int(ids[0] or 0)


@dataclass(frozen=True)
class Choice:
    """What the person decided and what they weighed (rules 27, 39; Part 2 §18)."""

    approve: bool
    reason: str
    factors: Mapping[str, str]
    confirm_gaps: bool = False
    recipients: tuple[str, ...] = ()  # penalty notice: the parents named; () = every parent


def _check_approval(act: LegalAct, choice: Choice, factors: dict[str, str]) -> dict[str, Any]:
    """Refuse with every problem; what the approval weighed, for its audit entry."""
    facts = approval_facts(act.db, act.decision, act.view, act.policy, factors, choice.confirm_gaps)
    check_approval(facts)
    weighed: dict[str, Any] = {
        "support_gaps": [g.text() for g in facts.gaps],
        "gaps_confirmed": choice.confirm_gaps,
    }
    if act.decision.stage == Stage.PROSECUTION.value:
        parents = prosecutable_parents(act.db, act.decision)
        refuse_on(
            prosecution_problems(clock_of(act.decision), facts.on, len(parents))
            + interview_problems(interviews_of(act.view, act.decision.key), facts.on)
        )
    if act.decision.stage == Stage.EDUCATION_SUPERVISION_ORDER.value:
        refuse_on(eso_problems(act.view.pupil))  # rule 38: never for a looked-after pupil
    if act.decision.stage == Stage.PENALTY_NOTICE.value:
        chosen = recipients_for(act.view, choice.recipients)
        ids = [c.contact_id for c in chosen.receive]
        act.decision.context = {**act.decision.context, "recipients": ",".join(ids)}
        weighed["recipients"] = ids
        weighed["not_issued"] = dict(chosen.left_out)
    return weighed


def _record(
    act: LegalAct,
    approve: bool,
    reason: str,
    factors: dict[str, str],
    weighed: Mapping[str, Any],
) -> None:
    decision, target, actor = act.decision, act.target, act.target.actor
    status = DecisionStatus.APPROVED if approve else DecisionStatus.DECLINED
    decide_status(act.db, decision, status)  # compare-and-set: a concurrent decision loses
    decision.reason, decision.factors = reason, factors
    decision.decided_by, decision.decided_at = actor, act.now
    decision.decided_date = target.school_date
    kind = AuditKind.DECISION_APPROVED if approve else AuditKind.DECISION_DECLINED
    act.drafts.append(
        AuditDraft(
            kind=kind,
            actor=actor,
            school_date=target.school_date,
            urn=target.urn,
            upn=target.upn,
            case_id=target.case_id,
            stage=decision.stage,
            detail={
                "decision_id": decision.id,
                "reason": reason,
                "factors": factors,
                "key": decision.key,
                **weighed,
            },
        )
    )


def _support_entry(act: LegalAct, text: str) -> AuditDraft:
    t = act.target
    return AuditDraft(
        kind=AuditKind.SUPPORT_CONSIDERED,
        actor=t.actor,
        school_date=t.school_date,
        urn=t.urn,
        upn=t.upn,
        case_id=t.case_id,
        stage=act.decision.stage,
        detail={"decision_id": act.decision.id, "note": text},
    )


def _open(
    db: Session,
    decision_id: int,
    actor: str,
    on: date,
    now: datetime,
    policy: Policy,
    var_dir: Path,
) -> LegalAct:
    decision = claim(db, Decision, decision_id)  # locked: a second officer waits, then is refused
    if decision is None or decision.stage not in {s.value for s in LEGAL_STAGES}:
        raise NotFound(f"no decision {decision_id}")
    check_decider(db, actor, decision.urn)
    if decision.stage == Stage.EDUCATION_SUPERVISION_ORDER.value:
        check_la_officer(db, actor)
    if decision.status != DecisionStatus.REQUESTED.value:
        raise Conflict(decision_taken(decision))
    pupil = db.get(Pupil, decision.upn)
    if pupil is None:
        raise NotFound(f"no pupil {decision.upn}")
    view = load_view(db, decision.urn, decision.upn, on)
    target = Target(decision.urn, on, decision.upn, decision.case_id, actor=actor)
    return LegalAct(db, decision, pupil, view, target, policy, now, var_dir)


def decide_with_outcome(
    engine: Engine,
    decision_id: int,
    *,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    factors: Mapping[str, str],
    policy: Policy | None = None,
    var_dir: Path | None = None,
    support_considered: str | None = None,
    confirm_gaps: bool = False,
    recipients: Sequence[str] = (),
) -> DecisionOutcome:
    """Approve or decline a requested legal step; what the decision set going (for a summary).

    `confirm_gaps` goes ahead over the support gaps the decision shows (rule 39); `recipients`
    names the parents a penalty notice goes to (Part 2 §18; empty: every parent with an
    address)."""
    choice = Choice(approve, reason, factors, confirm_gaps, tuple(recipients))
    reason = choice.reason.strip()
    if not reason:
        raise InvalidRequest("give the reason for the decision; it is kept in the record")
    recorded = {k: str(v).strip() for k, v in choice.factors.items() if str(v).strip()}
    note = (support_considered or "").strip()
    if note:
        recorded[SUPPORT_CONSIDERED] = note
    policy, folder = policy or load_policy(), var_dir or Settings().var_dir
    with unit_of_work(engine) as db:
        act = _open(db, decision_id, actor, on, now, policy, folder)
        if note:
            act.drafts.append(_support_entry(act, note))
        weighed = _check_approval(act, choice, recorded) if choice.approve else {}
        _record(act, choice.approve, reason, recorded, weighed)
        effect = EFFECTS.get((act.decision.stage, choice.approve))
        outcome = (
            effect(act)
            if effect
            else DecisionOutcome(
                decision_id, act.decision.stage, choice.approve, clock=clock_of(act.decision)
            )
        )
        write_audit(db, act.drafts, now)
    return replace(outcome, gaps=tuple(str(g) for g in weighed.get("support_gaps", [])))


def decide(
    engine: Engine,
    decision_id: int,
    *,
    approve: bool,
    reason: str,
    actor: str,
    on: date,
    now: datetime,
    factors: Mapping[str, str],
    policy: Policy | None = None,
    confirm_gaps: bool = False,
) -> None:
    """Approve or decline a requested legal step, with the reason and the factors weighed."""
    decide_with_outcome(
        engine,
        decision_id,
        approve=approve,
        reason=reason,
        actor=actor,
        on=on,
        now=now,
        factors=factors,
        policy=policy,
        confirm_gaps=confirm_gaps,
    )


def waiting_decisions(engine: Engine, upn: str | None = None) -> list[Decision]:
    """Legal decisions waiting for a person, oldest first."""
    stmt = select(Decision).where(Decision.status == DecisionStatus.REQUESTED.value)
    if upn:
        stmt = stmt.where(Decision.upn == upn)
    with Session(engine) as db:
        return list(db.exec(stmt.order_by(col(Decision.requested_date), col(Decision.id))))
