"""Two officers at once: the second of two concurrent human writes is refused and writes nothing.

Issue 18. Each race runs on real SQLite and real PostgreSQL with two threads on two connections
(tests/integration/race.py): the first writer is held inside its transaction after its status
change, the second starts, and only then does the first commit. Exactly one wins; the loser gets a
message naming who got there first; the audit and the notices hold no contradiction.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditKind
from casework.core.lifecycle import DecisionStatus
from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Decision, PenaltyNotice, Task
from casework.service.audit.trail import verify
from casework.service.errors import Conflict
from casework.service.legal.decisions import decide
from casework.service.legal.withdrawal import withdraw_notice
from casework.service.locking import claim, decide_status
from casework.service.tasks.actions import acknowledge_task, assign_task, complete_task
from casework.service.tasks.deadlines import run_deadlines
from casework.service.users import add_user
from tests.integration.race import race, side_by_side
from tests.integration.test_decisions import (
    DAD,
    MUM,
    NOW,
    POLICY,
    UPN,
    URN,
    approve,
    entries,
    notices,
    requested,
    seed,
    sweep,
)

ALEX, JO = "alex@la.example", "jo@la.example"
DECIDED_ON = date(2025, 11, 17)


def _officers(engine: Engine) -> None:
    for email in (ALEX, JO):
        add_user(engine, email, "la_officer", None, "long password 1", NOW)


# Rule 27's factors, each answered; the support gaps confirmed (rule 39).
ANSWERED = {
    "support_offered": "Attendance meeting and plan offered",
    "support_engaged": "Not engaged",
    "send_or_medical": "None known",
    "welfare_safeguarding": "No concerns",
    "social_care": "None",
}


def _decide(engine: Engine, decision_id: int, actor: str, approve: bool) -> None:
    decide(
        engine,
        decision_id,
        approve=approve,
        reason=f"{'approve' if approve else 'decline'}: reasons weighed",
        actor=actor,
        on=DECIDED_ON,
        now=NOW,
        factors=ANSWERED if approve else {},
        confirm_gaps=approve,
        policy=POLICY,
    )


def _decision_ready(engine: Engine) -> int:
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    _officers(engine)
    return requested(engine)


def _task_entries(engine: Engine, kind: AuditKind, task_id: int) -> list[AuditEntry]:
    return [e for e in entries(engine, kind) if e.detail.get("task_id") == task_id]


def _home_visit(engine: Engine) -> int:
    """An open home-visit task on the swept pupil's case (as the ladder would open one)."""
    decision_id = _decision_ready(engine)
    with unit_of_work(engine) as db:
        decision = db.get(Decision, decision_id)
        assert decision is not None
        task = Task(
            key=f"{UPN}:home_visit:race",
            case_id=decision.case_id,
            upn=UPN,
            urn=URN,
            kind="home_visit",
            stage="home_visit",
            owner_role="attendance_officer",
            created_date=DECIDED_ON,
            due_date=DECIDED_ON,
        )
        db.add(task)
        db.flush()
        return task.id or 0


def _refused(result: Any, pattern: str) -> str:
    assert isinstance(result.error, Conflict), f"the second write was not refused: {result.error!r}"
    message = str(result.error)
    assert re.search(pattern, message), message
    return message


class TestDecisions:
    def test_approve_and_decline_at_once_approve_first(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        decision_id = _decision_ready(engine)
        first, second = race(
            engine,
            monkeypatch,
            partial(_decide, engine, decision_id, ALEX, True),
            partial(_decide, engine, decision_id, JO, False),
        )
        assert first.error is None
        _refused(second, rf"this decision was already approved by {ALEX} at \d\d:\d\d on ")
        assert [e.actor for e in entries(engine, AuditKind.DECISION_APPROVED)] == [ALEX]
        assert entries(engine, AuditKind.DECISION_DECLINED) == []
        assert len(notices(engine)) == 2
        assert len(entries(engine, AuditKind.NOTICE_ISSUED)) == 2
        assert verify(engine) is None

    def test_approve_and_decline_at_once_decline_first(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        decision_id = _decision_ready(engine)
        first, second = race(
            engine,
            monkeypatch,
            partial(_decide, engine, decision_id, JO, False),
            partial(_decide, engine, decision_id, ALEX, True),
        )
        assert first.error is None
        _refused(second, rf"this decision was already declined by {JO} at ")
        assert entries(engine, AuditKind.DECISION_APPROVED) == []
        assert [e.actor for e in entries(engine, AuditKind.DECISION_DECLINED)] == [JO]
        assert notices(engine) == []
        assert entries(engine, AuditKind.NOTICE_ISSUED) == []

    def test_started_at_the_same_instant_exactly_one_wins(self, engine: Engine) -> None:
        decision_id = _decision_ready(engine)
        results = side_by_side(
            partial(_decide, engine, decision_id, ALEX, True),
            partial(_decide, engine, decision_id, JO, False),
        )
        errors = [r.error for r in results]
        assert sorted(e is None for e in errors) == [False, True], errors
        assert all(isinstance(e, Conflict) for e in errors if e is not None), errors
        approved = len(entries(engine, AuditKind.DECISION_APPROVED))
        declined = len(entries(engine, AuditKind.DECISION_DECLINED))
        assert approved + declined == 1
        assert len(notices(engine)) == 2 * approved
        assert verify(engine) is None

    def test_compare_and_set_refuses_a_row_changed_since_it_was_read(self, engine: Engine) -> None:
        """The version check alone, without the lock: the status read is no longer the status."""
        decision_id = _decision_ready(engine)
        with unit_of_work(engine) as db:
            decision = db.get(Decision, decision_id)
            assert decision is not None
            assert decision.status == "requested"
            db.execute(  # another writer, as the database sees it, after this one read the row
                sa.update(Decision)
                .where(col(Decision.id) == decision_id)
                .values(status="declined", decided_by=JO, decided_at=NOW)
            )
            with pytest.raises(Conflict, match=f"already declined by {JO}"):
                decide_status(db, decision, DecisionStatus.APPROVED)
            assert decision.status == "declined"

    def test_claim_reads_what_the_other_writer_committed(self, engine: Engine) -> None:
        decision_id = _decision_ready(engine)
        _decide(engine, decision_id, ALEX, True)
        with unit_of_work(engine) as db:
            decision = claim(db, Decision, decision_id)
            assert decision is not None
            assert decision.decided_by == ALEX


class TestTasks:
    def test_two_completions_of_one_home_visit(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        task_id = _home_visit(engine)
        complete = partial(complete_task, engine, task_id, on=DECIDED_ON, now=NOW, policy=POLICY)
        first, second = race(
            engine,
            monkeypatch,
            partial(complete, outcome="child_seen", actor=ALEX),
            partial(complete, outcome="child_not_seen", actor=JO),
        )
        assert first.error is None
        _refused(second, rf"this task was completed by {ALEX} at \d\d:\d\d on ")
        done = _task_entries(engine, AuditKind.TASK_COMPLETED, task_id)
        assert [(e.actor, e.detail["outcome"]) for e in done] == [(ALEX, "child_seen")]
        with Session(engine) as db:
            task = db.get(Task, task_id)
            assert task is not None
            assert (task.status, task.outcome) == ("completed", "child_seen")
        assert verify(engine) is None

    def test_two_acknowledgements(self, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        task_id = _home_visit(engine)
        ack = partial(acknowledge_task, engine, task_id, on=DECIDED_ON, now=NOW)
        first, second = race(engine, monkeypatch, partial(ack, actor=ALEX), partial(ack, actor=JO))
        assert first.error is None
        _refused(second, rf"this task was already acknowledged by {ALEX} at ")
        acks = _task_entries(engine, AuditKind.TASK_ACKNOWLEDGED, task_id)
        assert [e.actor for e in acks] == [ALEX]

    def test_completion_waits_for_an_acknowledgement_then_goes_ahead(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Not every overlap is a conflict: acknowledged -> completed is a legal next step."""
        task_id = _home_visit(engine)
        first, second = race(
            engine,
            monkeypatch,
            partial(acknowledge_task, engine, task_id, actor=ALEX, on=DECIDED_ON, now=NOW),
            partial(
                complete_task,
                engine,
                task_id,
                outcome="child_seen",
                actor=JO,
                on=DECIDED_ON,
                now=NOW,
                policy=POLICY,
            ),
        )
        assert (first.error, second.error) == (None, None)
        assert len(_task_entries(engine, AuditKind.TASK_ACKNOWLEDGED, task_id)) == 1
        assert len(_task_entries(engine, AuditKind.TASK_COMPLETED, task_id)) == 1

    def test_two_assignments_from_the_same_page(self, engine: Engine) -> None:
        """Assignment changes no status: the owner the page showed is the version checked."""
        task_id = _home_visit(engine)
        assign = partial(assign_task, engine, task_id, now=NOW, seen_owner="")
        results = side_by_side(
            partial(assign, owner_email=ALEX, actor=ALEX), partial(assign, owner_email=JO, actor=JO)
        )
        winner = next(r for r in results if r.error is None)
        loser = next(r for r in results if r.error is not None)
        assert winner is not loser
        message = _refused(loser, r"this task was assigned to \S+ by \S+ at ")
        assigned = _task_entries(engine, AuditKind.TASK_ASSIGNED, task_id)
        assert len(assigned) == 1
        with Session(engine) as db:
            task = db.get(Task, task_id)
            assert task is not None
            assert task.owner_email == assigned[0].detail["owner"]
        assert f"assigned to {task.owner_email}" in message


class TestNotices:
    def _issued(self, engine: Engine) -> tuple[int, int]:
        decision_id = _decision_ready(engine)
        approve(engine, decision_id, DECIDED_ON)
        with Session(engine) as db:
            notice = db.exec(select(PenaltyNotice).where(PenaltyNotice.contact_id == MUM)).one()
            task = db.exec(
                select(Task).where(Task.kind == "notice_payment", col(Task.key).endswith(MUM))
            ).one()
        return notice.id or 0, task.id or 0

    def test_withdrawal_and_payment_at_once(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        notice_id, task_id = self._issued(engine)
        first, second = race(
            engine,
            monkeypatch,
            partial(
                withdraw_notice,
                engine,
                notice_id,
                grounds="material_error",
                reason="Wrong dates",
                actor=ALEX,
                on=date(2025, 12, 1),
                now=NOW,
                policy=POLICY,
            ),
            partial(
                complete_task,
                engine,
                task_id,
                outcome="paid",
                actor=JO,
                on=date(2025, 12, 1),
                now=NOW,
                policy=POLICY,
            ),
        )
        assert first.error is None
        _refused(second, rf"this task was completed by {ALEX} at ")
        assert entries(engine, AuditKind.NOTICE_PAID) == []
        assert len(entries(engine, AuditKind.NOTICE_WITHDRAWN)) == 1
        mum = next(n for n in notices(engine) if n.id == notice_id)
        assert (mum.status, mum.paid_amount_pence, mum.refunded_pence) == ("withdrawn", None, None)
        assert verify(engine) is None

    def test_two_withdrawals_at_once(self, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        notice_id, _ = self._issued(engine)
        withdraw = partial(
            withdraw_notice,
            engine,
            notice_id,
            grounds="material_error",
            reason="Wrong dates",
            on=date(2025, 12, 1),
            now=NOW,
            policy=POLICY,
        )
        first, second = race(
            engine, monkeypatch, partial(withdraw, actor=ALEX), partial(withdraw, actor=JO)
        )
        assert first.error is None
        _refused(second, rf"penalty notice PN-\d+ was already withdrawn by {ALEX} at ")
        assert [e.actor for e in entries(engine, AuditKind.NOTICE_WITHDRAWN)] == [ALEX]

    def test_payment_while_the_deadlines_run_expires_notices(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The morning run must not expire a notice, or reopen its task as overdue, that a
        payment recorded at the same moment has just closed."""
        _, task_id = self._issued(engine)
        first, second = race(
            engine,
            monkeypatch,
            partial(
                complete_task,
                engine,
                task_id,
                outcome="paid",
                actor=JO,
                on=date(2025, 12, 16),  # day 28: the last day to pay
                now=NOW,
                policy=POLICY,
            ),
            partial(run_deadlines, engine, date(2025, 12, 17), policy=POLICY, now=NOW),
        )
        assert (first.error, second.error) == (None, None)
        by_contact = {n.contact_id: n.status for n in notices(engine)}
        assert by_contact == {MUM: "paid", DAD: "expired"}
        assert [e.detail["contact_id"] for e in entries(engine, AuditKind.NOTICE_EXPIRED)] == [DAD]
        assert _task_entries(engine, AuditKind.TASK_OVERDUE, task_id) == []
        with Session(engine) as db:
            task = db.get(Task, task_id)
            assert task is not None
            assert (task.status, task.outcome) == ("completed", "paid")
        assert verify(engine) is None
