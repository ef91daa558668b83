"""Legal-step decisions: only a person approves or declines, with a reason and the factors weighed.

DOMAIN rules 20–27. `decide` is the one entry point (the CLI and the web call it). It refuses an
approval for a pupil outside compulsory school age; for a pupil with an EHCP, a medical
condition, a social worker or social care involvement, or who is looked after, until "support
considered" is recorded; and for prosecution, until an ESO has been considered and an
attendance contract explored, within the 6-month limit, and while some notice is still unpaid.
Approval then does what the step means — a Notice to Improve starts its improvement period, a
penalty notice goes to each parent, a prosecution gets its letters and evidence bundle — all
in the same transaction as the decision and its audit entries. Declining a prosecution that
unpaid notices asked for withdraws those notices (reg 9: prosecute or withdraw).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from casework.core.legal.penalties import is_compulsory_school_age
from casework.core.lifecycle import DecisionStatus
from casework.core.policy import Policy, load_policy
from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Decision, Pupil
from casework.service.errors import Conflict, InvalidRequest, NotFound
from casework.service.legal.context import check_decider, load_view
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

SUPPORT_CONSIDERED = "support_considered"
ESO_CONSIDERED = "eso_considered"
CONTRACT_EXPLORED = "contract_explored"
_NOT_RECORDED = frozenset({"", "no", "n", "false", "0", "none"})


def is_recorded(value: object) -> bool:
    """A factor counts as recorded unless it is empty or a plain no."""
    return str(value or "").strip().lower() not in _NOT_RECORDED


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


def support_needs(pupil: Pupil) -> list[str]:
    """Why a legal step needs "support considered" first (rule 27 and DESIGN.md's guard)."""
    reasons = [
        ("an EHCP", pupil.sen_status == "E"),
        ("a medical condition", pupil.medical_condition),
        ("a social worker", bool(pupil.social_worker_email) or pupil.cp_cin in ("CIN", "CP")),
        ("looked-after status", pupil.looked_after),
    ]
    return [label for label, applies in reasons if applies]


def _support_recorded(db: Session, upn: str, factors: Mapping[str, str]) -> bool:
    if is_recorded(factors.get(SUPPORT_CONSIDERED)):
        return True
    found = db.exec(
        select(AuditEntry.seq).where(
            AuditEntry.upn == upn,
            AuditEntry.kind == AuditKind.SUPPORT_CONSIDERED.value,
        )
    ).first()
    return found is not None


def _check_prosecution(act: LegalAct, factors: Mapping[str, str], on: date) -> None:
    missing = [n for n in (ESO_CONSIDERED, CONTRACT_EXPLORED) if not is_recorded(factors.get(n))]
    if missing:
        raise InvalidRequest(
            "before approving a prosecution record that an Education Supervision Order was "
            f"considered and an attendance contract explored: missing {', '.join(missing)} "
            "(e.g. --factor eso_considered=...)"
        )
    clock = clock_of(act.decision)
    if clock is not None and clock.is_expired(on):
        raise InvalidRequest(
            f"the time limit passed on {clock.lay_by_date}: no prosecution is possible for this "
            "period; decline the decision (any unpaid notice is then withdrawn)"
        )
    if not prosecutable_parents(act.db, act.decision):
        raise InvalidRequest("proceedings are barred: every notice was paid or withdrawn")


def _check_approval(act: LegalAct, factors: Mapping[str, str], on: date) -> None:
    pupil = act.pupil
    if not is_compulsory_school_age(pupil.date_of_birth, on):
        raise InvalidRequest(
            f"pupil {pupil.upn} is not of compulsory school age on {on}: no legal step applies"
        )
    needs = support_needs(pupil)
    if needs and not _support_recorded(act.db, pupil.upn, factors):
        raise InvalidRequest(
            f"pupil {pupil.upn} has {', '.join(needs)}: record that support was considered "
            "(--support-considered TEXT) before approving a legal step"
        )
    if act.decision.stage == Stage.PROSECUTION.value:
        _check_prosecution(act, factors, on)


def _record(act: LegalAct, approve: bool, reason: str, actor: str, factors: dict[str, str]) -> None:
    decision, target = act.decision, act.target
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
) -> DecisionOutcome:
    """`decide`, returning what the decision set going (for the CLI's summary)."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("give the reason for the decision; it is kept in the record")
    recorded = {k: str(v).strip() for k, v in factors.items() if str(v).strip()}
    if support_considered and support_considered.strip():
        recorded[SUPPORT_CONSIDERED] = support_considered.strip()
    policy, folder = policy or load_policy(), var_dir or Settings().var_dir
    with unit_of_work(engine) as db:
        act = _open(db, decision_id, actor, on, now, policy, folder)
        if support_considered and support_considered.strip():
            act.drafts.append(_support_entry(act, support_considered.strip()))
        if approve:
            _check_approval(act, recorded, on)
        _record(act, approve, reason, actor, recorded)
        effect = EFFECTS.get((act.decision.stage, approve))
        outcome = (
            effect(act)
            if effect
            else DecisionOutcome(
                decision_id, act.decision.stage, approve, clock=clock_of(act.decision)
            )
        )
        write_audit(db, act.drafts, now)
    return outcome


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
    )


def waiting_decisions(engine: Engine, upn: str | None = None) -> list[Decision]:
    """Legal decisions waiting for a person, oldest first."""
    stmt = select(Decision).where(Decision.status == DecisionStatus.REQUESTED.value)
    if upn:
        stmt = stmt.where(Decision.upn == upn)
    with Session(engine) as db:
        return list(db.exec(stmt.order_by(col(Decision.requested_date), col(Decision.id))))
