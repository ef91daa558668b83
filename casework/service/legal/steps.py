"""What an approved (or declined) legal step sets going, in the decision's transaction.

DOMAIN rules 20–26. An approved Notice to Improve starts its improvement period
(`nti_school_weeks`) with a letter to each parent; an approved penalty notice issues one notice
per parent (casework.service.legal.notices); an approved prosecution marks the unpaid notices
prosecuted, writes to each parent separately and makes the evidence bundle; a declined
prosecution that unpaid notices asked for withdraws them (reg 9: prosecute or withdraw).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from casework.core.audit import AuditDraft
from casework.core.ladder.proposals import EnterStage, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.recipients import base_context, long_date
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.legal.penalties import ProsecutionClock, WithdrawalGround
from casework.core.legal.recipients import notice_recipients
from casework.core.legal.wording import prosecution_grounds
from casework.core.lifecycle import NoticeStatus
from casework.core.policy import Policy
from casework.db.tables import Decision, Pupil
from casework.service.legal import bundle
from casework.service.legal.context import letter_to, offence_dates, tell_professionals
from casework.service.legal.court import lay_information_task
from casework.service.legal.notices import IssuedNotice, issue_penalty_notices, notices_of
from casework.service.legal.payments import close_payment_task, notice_target
from casework.service.legal.withdrawal import withdraw_in_session
from casework.service.proposals import Target, apply_proposals, write_audit


@dataclass(frozen=True)
class DecisionOutcome:
    """What a decision set going, for the person who made it."""

    decision_id: int
    stage: str
    approved: bool
    notices: tuple[IssuedNotice, ...] = ()
    barred_contacts: tuple[str, ...] = ()
    withdrawn_notices: tuple[int, ...] = ()
    bundle_path: str | None = None
    clock: ProsecutionClock | None = None
    gaps: tuple[str, ...] = ()  # the support gaps the approval was confirmed over (rule 39)
    flagged: tuple[str, ...] = ()  # Part 2 §8.2: first notice older than 3 years, second not


@dataclass
class LegalAct:
    db: Session
    decision: Decision
    pupil: Pupil
    view: PupilView
    target: Target
    policy: Policy
    now: datetime
    var_dir: Path
    drafts: list[AuditDraft] = field(default_factory=list)


def clock_of(decision: Decision) -> ProsecutionClock | None:
    """The 6-month limit a prosecution decision carries (rule 26), if any."""
    ctx = decision.context
    if not ctx.get("lay_by_date"):
        return None
    return ProsecutionClock(
        date.fromisoformat(ctx["last_absence_date"]),
        date.fromisoformat(ctx["lay_by_date"]),
        date.fromisoformat(ctx["warn_from_date"]),
    )


def prosecutable_parents(db: Session, decision: Decision) -> list[str]:
    """Parents who may still be prosecuted: a paid or withdrawn notice bars proceedings."""
    contacts = [c for c in str(decision.context.get("contact_ids", "")).split(",") if c]
    ids = [int(i) for i in str(decision.context.get("notice_ids", "")).split(",") if i]
    if not ids:
        return contacts
    return [n.contact_id for n in notices_of(db, ids) if n.status == NoticeStatus.EXPIRED.value]


def _enter_stage(
    act: LegalAct,
    stage: Stage,
    reason: str,
    template: str,
    letter: dict[str, str],
    parents: set[str] | None = None,
) -> None:
    """Enter the stage, write to each parent separately, tell the professionals (rule 9)."""
    key = f"{act.decision.key}:stage"
    context = {
        "decision_id": str(act.decision.id),
        **{
            k: v
            for k, v in act.decision.context.items()
            if k in ("improvement_from", "improvement_to", "lay_by_date")
        },
    }
    proposals: list[Proposal] = [EnterStage(stage, key, reason, context)]
    proposals += [
        letter_to(c, f"{key}:letter:{c.contact_id}", template, stage, letter)
        for c in notice_recipients(act.view.pupil.contacts)
        if c.address and (parents is None or c.contact_id in parents)
    ]
    proposals += tell_professionals(act.view, act.policy, key, stage)
    act.drafts += apply_proposals(act.db, act.target, proposals, act.now)


def _offence_letter(act: LegalAct, stage: Stage) -> dict[str, str]:
    first, last, _ = offence_dates(act.decision)
    return {
        **base_context(act.view, stage),
        "offence_period_start_long": long_date(first),
        "offence_period_end_long": long_date(last),
        "la_name": act.policy.la.name,
    }


def _improvement_period(act: LegalAct) -> DecisionOutcome:
    """DOMAIN rule 20: the improvement period starts the day after the approval."""
    decision, on = act.decision, act.target.school_date
    weeks = act.policy.legal.nti_school_weeks
    start = date.fromordinal(on.toordinal() + 1)
    end = act.view.calendar.add_school_weeks(on, weeks)
    decision.context = {
        **decision.context,
        "improvement_from": start.isoformat(),
        "improvement_to": end.isoformat(),
    }
    letter = {
        **_offence_letter(act, Stage.NOTICE_TO_IMPROVE),
        "offence_sessions": offence_dates(decision)[2],
        "improvement_from_long": long_date(start),
        "improvement_to_long": long_date(end),
        "improvement_weeks": str(weeks),
        "support_summary": str(
            decision.factors.get("support_offered")
            or "The school has offered to meet you to talk about attendance."
        ),
    }
    reason = f"Notice to Improve approved: improvement period {start} to {end}"
    _enter_stage(act, Stage.NOTICE_TO_IMPROVE, reason, "legal/notice_to_improve", letter)
    return DecisionOutcome(decision.id or 0, decision.stage, True)


def _penalty_notices(act: LegalAct) -> DecisionOutcome:
    result = issue_penalty_notices(act.db, act.decision, act.view, act.target, act.policy, act.now)
    act.drafts += result.drafts
    return DecisionOutcome(
        act.decision.id or 0,
        act.decision.stage,
        True,
        notices=tuple(result.notices),
        barred_contacts=tuple(result.barred),
        flagged=tuple(result.flagged),
    )


def _prosecute(act: LegalAct) -> DecisionOutcome:
    """Unpaid notices are marked prosecuted; each parent is written to; the bundle is made."""
    decision = act.decision
    parents = set(prosecutable_parents(act.db, decision))
    ids = [int(i) for i in str(decision.context.get("notice_ids", "")).split(",") if i]
    for notice in notices_of(act.db, ids):
        notice.prosecuted = notice.contact_id in parents
        if notice.prosecuted:  # the payment window is long over: the court takes it from here
            source, target = notice_target(act.db, notice, act.target.actor, act.target.school_date)
            act.drafts += close_payment_task(act.db, source, notice, "prosecuted", target, act.now)
    letter = {
        **_offence_letter(act, Stage.PROSECUTION),
        "grounds_text": prosecution_grounds(
            str(decision.context.get("source", "")), act.view.pupil.forename, act.policy.legal
        ),
    }
    reason = f"prosecution decision {decision.id} approved"
    _enter_stage(act, Stage.PROSECUTION, reason, "legal/prosecution_decision", letter, parents)
    clock = clock_of(decision)
    if clock is not None:  # rule 37: lay the information before the limit
        laying = [lay_information_task(decision.key, clock)]
        act.drafts += apply_proposals(act.db, act.target, laying, act.now)
    write_audit(act.db, act.drafts, act.now)  # the bundle's chronology includes this decision
    act.drafts = []
    made = bundle.create_bundle(act.db, decision, act.view, act.var_dir, act.target, act.policy)
    act.drafts.append(made.audit)
    return DecisionOutcome(
        decision.id or 0,
        decision.stage,
        True,
        bundle_path=str(made.folder),
        clock=clock_of(decision),
    )


def _decline_prosecution(act: LegalAct) -> DecisionOutcome:
    ids = [int(i) for i in str(act.decision.context.get("notice_ids", "")).split(",") if i]
    withdrawn = []
    for notice in notices_of(act.db, ids):
        if notice.status == NoticeStatus.EXPIRED.value:
            act.drafts += withdraw_in_session(
                act.db,
                notice,
                WithdrawalGround.NOT_PROSECUTED,
                f"prosecution declined (decision {act.decision.id})",
                act.view,
                act.target,
                act.policy,
                act.now,
            )
            withdrawn.append(notice.id or 0)
    return DecisionOutcome(
        act.decision.id or 0,
        act.decision.stage,
        False,
        withdrawn_notices=tuple(withdrawn),
        clock=clock_of(act.decision),
    )


def _apply_for_eso(act: LegalAct) -> DecisionOutcome:
    """Rule 38: the LA applies for an ESO; each parent is told; the court's answer is awaited."""
    decision, on = act.decision, act.target.school_date
    letter = {**_offence_letter(act, Stage.EDUCATION_SUPERVISION_ORDER)}
    reason = f"application for an Education Supervision Order approved (decision {decision.id})"
    template = "legal/education_supervision_order"
    _enter_stage(act, Stage.EDUCATION_SUPERVISION_ORDER, reason, template, letter)
    hearing = OpenTask(
        TaskKind.ESO_HEARING,
        f"{decision.key}:hearing",
        on + timedelta(weeks=act.policy.legal.eso_hearing_due_weeks),
        OwnerRole.LA_OFFICER,
        Stage.EDUCATION_SUPERVISION_ORDER,
        context={"decision_key": decision.key},
    )
    act.drafts += apply_proposals(act.db, act.target, [hearing], act.now)
    return DecisionOutcome(decision.id or 0, decision.stage, True)


EFFECTS: dict[tuple[str, bool], Callable[[LegalAct], DecisionOutcome]] = {
    (Stage.EDUCATION_SUPERVISION_ORDER.value, True): _apply_for_eso,
    (Stage.NOTICE_TO_IMPROVE.value, True): _improvement_period,
    (Stage.PENALTY_NOTICE.value, True): _penalty_notices,
    (Stage.PROSECUTION.value, True): _prosecute,
    (Stage.PROSECUTION.value, False): _decline_prosecution,
}
