"""Referrals to the LA as the LA attendance officer works them: each referral whose pupil is
still at the LA-referral stage is waiting for the LA; a closed stage means it has been dealt with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.core.labels import referral_label
from casework.core.ladder.stages import Stage
from casework.core.lifecycle import StageStatus
from casework.db.session import read_snapshot
from casework.db.tables import Pupil, Referral, School, StageEntry


@dataclass(frozen=True, slots=True)
class ReferralRow:
    referral: Referral
    pupil_name: str
    school_name: str
    reason: str
    waiting_days: int


def _waiting(scope_urn: str | None, urn: str | None) -> Any:
    open_stage = (
        select(StageEntry.upn)
        .where(
            StageEntry.stage == Stage.LA_REFERRAL.value,
            StageEntry.status == StageStatus.OPEN.value,
        )
        .scalar_subquery()
    )
    stmt = (
        select(Referral, Pupil, School)
        .join(Pupil, col(Pupil.upn) == col(Referral.upn))
        .join(School, col(School.urn) == col(Referral.urn))
        .where(col(Referral.upn).in_(open_stage))
    )
    for wanted in (scope_urn, urn):
        if wanted:
            stmt = stmt.where(col(Referral.urn) == wanted)
    return stmt


def waiting_referrals(
    engine: Engine, *, scope_urn: str | None, urn: str | None, today: date, limit: int = 500
) -> tuple[list[ReferralRow], int]:
    """Referrals waiting for the LA, longest waiting first, and how many there are in all."""
    stmt = _waiting(scope_urn, urn)
    with read_snapshot(engine) as db:
        total = db.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
        ordered = stmt.order_by(col(Referral.school_date), col(Referral.id)).limit(limit)
        rows = [(row[0], row[1], row[2]) for row in db.execute(ordered).all()]
    return [
        ReferralRow(
            r,
            f"{p.forename} {p.surname}",
            s.name,
            referral_label(r.reason),
            (today - r.school_date).days,
        )
        for r, p, s in rows
    ], int(total)
