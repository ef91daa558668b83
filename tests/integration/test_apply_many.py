"""`apply_many` writes a batch of targets' decisions in one pass: each target's audit drafts in its
own order, each row audited once however often the batch names its key, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import select

from casework.core.audit import AuditKind
from casework.core.ladder.proposals import EnterStage, OpenTask, OwnerRole, TaskKind
from casework.core.ladder.stages import Stage
from casework.db.session import unit_of_work
from casework.db.tables import StageEntry, Task
from casework.service.proposals import Target, apply_many
from tests.support.outbox_data import MORNING, SCHOOL_DATE, URN, create_family, upn_for


def _decisions(upn: str) -> list[EnterStage | OpenTask]:
    key = f"{upn}:attendance_concern:{SCHOOL_DATE}"
    return [
        EnterStage(Stage.ATTENDANCE_CONCERN, key, reason="below the line"),
        OpenTask(
            TaskKind.ATTENDANCE_CONVERSATION,
            f"{key}:task",
            date(2025, 9, 15),
            OwnerRole.ATTENDANCE_OFFICER,
            Stage.ATTENDANCE_CONCERN,
        ),
    ]


def test_a_batch_is_audited_per_target_in_order_and_each_key_once(engine: Engine) -> None:
    with unit_of_work(engine) as db:
        cases = [create_family(db, n)[1] for n in range(3)]
    targets = [Target(URN, SCHOOL_DATE, upn_for(n), cases[n]) for n in range(3)]
    # The second pupil's decisions named twice, and the first's already applied once.
    with unit_of_work(engine) as db:
        apply_many(db, [(targets[0], _decisions(upn_for(0)))], MORNING)
    batch = [(t, _decisions(t.upn or "")) for t in targets]
    batch.insert(2, (targets[1], _decisions(upn_for(1))))
    with unit_of_work(engine) as db:
        drafts = apply_many(db, batch, MORNING)
        stages = {s.key: s for s in db.exec(select(StageEntry))}
        tasks = {t.key: t for t in db.exec(select(Task))}
    assert [(d.upn, d.kind) for d in drafts] == [
        (upn_for(n), kind)
        for n in (1, 2)
        for kind in (AuditKind.STAGE_ENTERED, AuditKind.TASK_CREATED)
    ]
    for d in drafts:
        key = str(d.detail["key"])
        if d.kind is AuditKind.STAGE_ENTERED:
            assert d.detail["stage_entry_id"] == stages[key].id
            assert stages[key].upn == d.upn
        else:
            assert d.detail["task_id"] == tasks[key].id
            assert tasks[key].upn == d.upn
    assert len(stages) == len(tasks) == 3
