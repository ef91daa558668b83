"""`pathway retention apply`: remove what is past its retention period (ADR 0010).

Each record type has a period in the policy file (casework/core/retention.py). Nothing about a
pupil with an open legal step is touched, whatever its age: an open legal stage, a decision
waiting, or a penalty notice still running. The audit chain loses only its oldest whole prefix,
and an anchor (the last removed entry's seq and hash) lets the rest verify. The run itself is
an audit entry with counts and cut-off dates, never the personal data removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.ladder.stages import LEGAL_STAGES
from casework.core.policy import Policy
from casework.core.retention import RecordType, cutoffs
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import (
    AuditAnchor,
    AuditEntry,
    Case,
    Contact,
    Decision,
    Letter,
    Mark,
    MarkSpanTotal,
    MarkWeek,
    Message,
    PenaltyNotice,
    Pupil,
    Referral,
    StageEntry,
    Task,
)

_OPEN_TASKS = ("open", "acknowledged", "overdue")
# A pupil's whole record, children before parents (foreign keys).
_BY_UPN: tuple[Any, ...] = (
    Message,
    Letter,
    Task,
    Referral,
    StageEntry,
    Decision,
    Case,
    Contact,
    Mark,
    MarkWeek,
    MarkSpanTotal,
)


@dataclass(frozen=True)
class RetentionReport:
    counts: dict[str, int]
    kept_from: dict[RecordType, date]
    protected_pupils: int
    dry_run: bool


def protected_upns(db: Session) -> set[str]:
    """Pupils under an open legal step: nothing of theirs is removed."""
    legal = [stage.value for stage in LEGAL_STAGES]
    open_stage = select(StageEntry.upn).where(
        StageEntry.status == "open", col(StageEntry.stage).in_(legal)
    )
    waiting = select(Decision.upn).where(Decision.status == "requested")
    running = (
        select(Decision.upn)
        .join(PenaltyNotice, col(PenaltyNotice.decision_id) == col(Decision.id))
        .where(col(PenaltyNotice.status).in_(["issued", "expired"]))
    )
    found: set[str] = set()
    for stmt in (open_stage, waiting, running):
        found |= set(db.exec(stmt).all())
    return found


def _count_or_delete(db: Session, model: Any, where: Sequence[Any], dry_run: bool) -> int:
    if dry_run:
        return int(db.exec(select(sa.func.count()).select_from(model).where(*where)).one())
    result = db.execute(sa.delete(model).where(*where))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _old_letters(db: Session, where: Sequence[Any], letters_dir: Path, dry_run: bool) -> int:
    if not dry_run:
        for path in db.exec(select(Letter.path).where(*where)):
            if path:
                (letters_dir / Path(path).name).unlink(missing_ok=True)
    return _count_or_delete(db, Letter, where, dry_run)


def _records(
    db: Session, kept: dict[RecordType, date], keep: set[str], letters_dir: Path, dry: bool
) -> dict[str, int]:
    """Old rows of each record type, except those of protected pupils."""
    not_kept = (lambda column: col(column).not_in(sorted(keep))) if keep else (lambda c: sa.true())
    counts = {
        "marks": _count_or_delete(
            db, Mark, [col(Mark.school_date) < kept[RecordType.MARKS], not_kept(Mark.upn)], dry
        ),
        "messages": _count_or_delete(
            db,
            Message,
            [col(Message.school_date) < kept[RecordType.MESSAGES], not_kept(Message.upn)],
            dry,
        ),
        "letters": _old_letters(
            db,
            [col(Letter.school_date) < kept[RecordType.LETTERS], not_kept(Letter.upn)],
            letters_dir,
            dry,
        ),
        "tasks": _count_or_delete(
            db,
            Task,
            [
                col(Task.status).not_in(_OPEN_TASKS),
                sa.func.coalesce(Task.completed_date, Task.due_date) < kept[RecordType.TASKS],
                not_kept(Task.upn),
            ],
            dry,
        ),
        "stages": _count_or_delete(
            db,
            StageEntry,
            [
                StageEntry.status == "closed",
                col(StageEntry.closed_date) < kept[RecordType.STAGES],
                not_kept(StageEntry.upn),
            ],
            dry,
        ),
    }
    counts["pupils"] = _old_pupils(db, kept[RecordType.PUPILS], keep, dry)
    return counts


def _old_pupils(db: Session, born_before: date, keep: set[str], dry_run: bool) -> int:
    upns = [
        upn
        for upn in db.exec(select(Pupil.upn).where(col(Pupil.date_of_birth) < born_before))
        if upn not in keep
    ]
    if dry_run or not upns:
        return len(upns)
    decisions = select(Decision.id).where(col(Decision.upn).in_(upns))
    db.execute(sa.delete(PenaltyNotice).where(col(PenaltyNotice.decision_id).in_(decisions)))
    for model in _BY_UPN:
        db.execute(sa.delete(model).where(col(model.upn).in_(upns)))
    db.execute(sa.delete(Pupil).where(col(Pupil.upn).in_(upns)))
    return len(upns)


def _audit_cut(db: Session, kept_from: date, keep: set[str], tz: Any) -> int:
    """The last seq of the chain's prefix older than `kept_from` that names no protected pupil."""
    start = datetime.combine(kept_from, time.min, tz)
    first_kept = db.exec(select(sa.func.min(AuditEntry.seq)).where(AuditEntry.at >= start)).one()
    limit = (
        (first_kept - 1)
        if first_kept is not None
        else db.exec(select(sa.func.max(AuditEntry.seq))).one() or 0
    )
    if keep:
        first_protected = db.exec(
            select(sa.func.min(AuditEntry.seq)).where(col(AuditEntry.upn).in_(sorted(keep)))
        ).one()
        if first_protected is not None:
            limit = min(limit, first_protected - 1)
    return int(limit)


def _truncate_audit(db: Session, cut: int, kept_from: date, now: datetime) -> int:
    """Remove entries 1..cut (those not already gone) and anchor the chain at `cut`."""
    last = db.get(AuditEntry, cut)
    if last is None:
        return 0
    db.add(AuditAnchor(seq=cut, hash=last.hash, removed_at=now, kept_from=kept_from))
    if db.get_bind().dialect.name == "postgresql":
        # The append-only trigger lets this one transaction's DELETE through (migration 0012).
        db.execute(sa.text("SET LOCAL pathway.audit_retention_cut = 'on'"))
    result = db.execute(sa.delete(AuditEntry).where(col(AuditEntry.seq) <= cut))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def apply_retention(
    engine: Engine,
    policy: Policy,
    *,
    today: date,
    now: datetime,
    letters_dir: Path,
    tz: Any,
    dry_run: bool = False,
    actor: str = "cli",
) -> RetentionReport:
    """Remove (or, with `dry_run`, count) what is past its period; one transaction, audited."""
    kept = cutoffs(policy.retention.periods(), today)
    with unit_of_work(engine) as db:
        keep = protected_upns(db)
        counts = _records(db, kept, keep, letters_dir, dry_run)
        cut = _audit_cut(db, kept[RecordType.AUDIT], keep, tz)
        counts["audit"] = cut if dry_run else 0
        if not dry_run:
            detail = {
                "removed": dict(counts),
                "kept_from": {k.value: v.isoformat() for k, v in kept.items()},
                "protected_pupils": len(keep),
            }
            # Appended before the prefix goes, so the chain's head is never among the removed.
            append_entries(db, [AuditDraft(AuditKind.RETENTION_APPLIED, actor, detail=detail)], now)
            counts["audit"] = _truncate_audit(db, cut, kept[RecordType.AUDIT], now)
    return RetentionReport(counts, kept, len(keep), dry_run)
