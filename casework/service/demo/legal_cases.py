"""The demo's legal walk-through: a person approves one penalty notice; it goes unpaid; a person
approves the prosecution that follows, and the evidence bundle is written.

Every step goes through the same use cases as `pathway decide` and the deadlines run; the demo
only plays the people (a headteacher's reasons are written here, as they would type them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from casework.core.policy import Policy
from casework.db.tables import Decision, PenaltyNotice, Task
from casework.service.legal.decisions import decide_with_outcome
from casework.service.legal.payments import run_notice_deadlines
from casework.service.tasks.actions import complete_task

PN_REASON = (
    "Demo: ten sessions of term-time holiday taken without leave; the family was told the "
    "leave would not be authorised. Support is not appropriate for holiday absence."
)
PROSECUTION_REASON = (
    "Demo: the notices were not paid within 28 days; an ESO was considered and an attendance "
    "contract explored and declined. Proceeding under s444(1)."
)
# Rule 27's factors, each answered (rule 39); a prosecution adds the ESO and the contract.
PN_FACTORS = {
    "support_offered": "not appropriate (term-time holiday)",
    "support_engaged": "not applicable",
    "send_or_medical": "none known",
    "welfare_safeguarding": "no concerns known",
    "social_care": "none",
}
PROSECUTION_FACTORS = {
    **PN_FACTORS,
    "support_offered": "yes",
    "support_engaged": "no",
    "eso_considered": "yes: not suitable, absence is holiday-driven",
    "contract_explored": "yes: offered and declined",
    "support_considered": "yes",
}


@dataclass(frozen=True)
class LegalWalkthrough:
    upn: str
    notices: int
    prosecution_requested: bool
    bundle: Path | None


def _first_requested(db: Session, stage: str, upn: str | None = None) -> Decision | None:
    stmt = sa.select(Decision).where(
        col(Decision.stage) == stage, col(Decision.status) == "requested"
    )
    if upn is not None:
        stmt = stmt.where(col(Decision.upn) == upn)
    return db.scalars(stmt.order_by(col(Decision.id))).first()


def run_legal_walkthrough(
    engine: Engine, policy: Policy, var_dir: Path, now: datetime
) -> LegalWalkthrough | None:
    """Approve the first penalty-notice decision, let the notices expire, approve prosecution."""
    with Session(engine) as db:
        pn = _first_requested(db, "penalty_notice")
    if pn is None or pn.id is None:
        return None
    decide_with_outcome(
        engine,
        pn.id,
        approve=True,
        reason=PN_REASON,
        actor="cli",
        on=pn.requested_date,
        now=now,
        factors=PN_FACTORS,
        policy=policy,
        var_dir=var_dir,
        confirm_gaps=True,  # the demo's person has read the support record shown
    )
    with Session(engine) as db:
        notices = db.scalars(sa.select(PenaltyNotice).where(col(PenaltyNotice.upn) == pn.upn)).all()
        last_day = max((n.pay_by_date for n in notices), default=pn.requested_date)
    after: date = last_day + timedelta(days=1)
    run_notice_deadlines(engine, after, policy=policy, now=now)
    with Session(engine) as db:
        prosecution = _first_requested(db, "prosecution", pn.upn)
        interviews = db.scalars(
            sa.select(col(Task.id)).where(
                col(Task.upn) == pn.upn, col(Task.kind) == "interview_under_caution"
            )
        ).all()
    for task_id in interviews:  # rule 36: each parent was interviewed under caution
        complete_task(
            engine, task_id or 0, outcome="attended", actor="cli", on=after, now=now, policy=policy
        )
    bundle = None
    if prosecution is not None and prosecution.id is not None:
        outcome = decide_with_outcome(
            engine,
            prosecution.id,
            approve=True,
            reason=PROSECUTION_REASON,
            actor="cli",
            on=after,
            now=now,
            factors=PROSECUTION_FACTORS,
            policy=policy,
            var_dir=var_dir,
            support_considered="Support considered before any legal step (demo).",
            confirm_gaps=True,
        )
        bundle = Path(outcome.bundle_path) if outcome.bundle_path else None
    return LegalWalkthrough(pn.upn, len(notices), prosecution is not None, bundle)
