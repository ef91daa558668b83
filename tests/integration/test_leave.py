"""Leave of absence through the service on real SQLite and PostgreSQL (DOMAIN rule 32).

Recording makes one application row, opens the stage and a decision for the headteacher, with
their audit entries; granting needs the application made in advance; refusing writes to each
parent with parental responsibility in their language; only the school's headteacher decides.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditKind
from casework.core.policy import Policy
from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Contact, Decision, LeaveApplication, Message
from casework.service.errors import InvalidRequest, NotAllowed
from casework.service.leave.applications import LeaveRequest, request_leave
from casework.service.leave.decisions import decide_leave
from casework.service.users import add_user
from tests.integration.test_decisions import DAD, MUM, OTHER_URN, UPN, URN, seed

NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
POLICY = Policy()
ASKED = LeaveRequest(UPN, date(2025, 9, 29), date(2025, 10, 3), "family wedding", date(2025, 9, 15))


def _decide(engine: Engine, decision_id: int, approve: bool, **kw: object) -> object:
    args = {"reason": "considered", "actor": "cli", "on": date(2025, 9, 16), "now": NOW}
    args.update(kw)
    return decide_leave(engine, decision_id, approve=approve, policy=POLICY, **args)  # type: ignore[arg-type]


def _audit(engine: Engine, kind: AuditKind) -> list[AuditEntry]:
    with Session(engine) as db:
        query = select(AuditEntry).where(AuditEntry.kind == kind.value)
        return list(db.exec(query.order_by(col(AuditEntry.seq))))


def test_recording_opens_the_stage_and_a_decision_for_the_headteacher(engine: Engine) -> None:
    seed(engine, codes={})
    recorded = request_leave(engine, ASKED, actor="cli", now=NOW)
    assert (recorded.school_days, recorded.in_advance) == (5, True)
    with Session(engine) as db:
        row = db.get(LeaveApplication, recorded.application_id)
        decision = db.get(Decision, recorded.decision_id)
    assert row is not None
    assert decision is not None
    assert (row.applicant_contact_id, row.status, row.decision_id) == (
        MUM,
        "requested",
        decision.id,
    )
    assert (decision.stage, decision.status) == ("leave_of_absence", "requested")
    assert decision.context["leave_from"] == "2025-09-29"
    [asked] = _audit(engine, AuditKind.DECISION_REQUESTED)
    assert (asked.stage, asked.school_date) == ("leave_of_absence", date(2025, 9, 15))
    assert [e.stage for e in _audit(engine, AuditKind.STAGE_ENTERED)] == ["leave_of_absence"]
    with pytest.raises(InvalidRequest, match="already recorded"):
        request_leave(engine, ASKED, actor="cli", now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "reason", "applicant", "message"),
    [
        (date(2025, 10, 3), date(2025, 9, 29), "x", None, "ends"),
        (date(2025, 10, 25), date(2025, 11, 2), "x", None, "no school days"),
        (date(2025, 9, 29), date(2025, 10, 3), "  ", None, "reason"),
        (date(2025, 9, 29), date(2025, 10, 3), "x", "someone-else", "not a parent"),
    ],
)
def test_bad_applications_are_refused_with_the_reason(
    engine: Engine, start: date, end: date, reason: str, applicant: str | None, message: str
) -> None:
    seed(engine, codes={})
    request = LeaveRequest(UPN, start, end, reason, date(2025, 9, 15), applicant)
    with pytest.raises(InvalidRequest, match=message):
        request_leave(engine, request, actor="cli", now=NOW)


def test_granting_sends_nothing_and_records_the_decision(engine: Engine) -> None:
    seed(engine, codes={})
    recorded = request_leave(engine, ASKED, actor="cli", now=NOW)
    outcome = _decide(engine, recorded.decision_id, True)
    assert outcome.letters == 0  # type: ignore[attr-defined]
    [approved] = _audit(engine, AuditKind.DECISION_APPROVED)
    assert (approved.stage, approved.detail["reason"]) == ("leave_of_absence", "considered")
    with Session(engine) as db:
        assert db.exec(select(Message)).all() == []
        assert db.get(LeaveApplication, recorded.application_id).status == "granted"  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest, match="already approved"):
        _decide(engine, recorded.decision_id, False)


def test_refusing_writes_to_each_parent_in_their_language(engine: Engine) -> None:
    seed(engine, codes={})
    with unit_of_work(engine) as db:
        dad = db.get(Contact, DAD)
        assert dad is not None
        dad.language = "pl"
    recorded = request_leave(engine, ASKED, actor="cli", now=NOW)
    _decide(engine, recorded.decision_id, False, reason="not exceptional")
    with Session(engine) as db:
        sent = {m.recipient_ref: m for m in db.exec(select(Message))}
    assert set(sent) == {MUM, DAD}
    assert all(
        m.channel == "letter" and m.template == "leave_of_absence/refusal" for m in sent.values()
    )
    assert "cannot agree" in sent[MUM].body
    assert "29 September 2025" in sent[MUM].body
    assert sent[DAD].language == "pl"
    assert "nie może się na niego zgodzić" in sent[DAD].body
    assert "29 września 2025" in sent[DAD].body
    assert len(_audit(engine, AuditKind.MESSAGE_QUEUED)) == 2


def test_an_application_recorded_on_its_first_day_can_only_be_declined(engine: Engine) -> None:
    seed(engine, codes={})
    late = LeaveRequest(UPN, date(2025, 9, 29), date(2025, 10, 3), "wedding", date(2025, 9, 29))
    recorded = request_leave(engine, late, actor="cli", now=NOW)
    assert not recorded.in_advance
    with pytest.raises(InvalidRequest, match="retrospectively"):
        _decide(engine, recorded.decision_id, True, on=date(2025, 9, 29))
    _decide(engine, recorded.decision_id, False, on=date(2025, 9, 29))
    assert [e.stage for e in _audit(engine, AuditKind.DECISION_DECLINED)] == ["leave_of_absence"]


def test_only_the_schools_own_headteacher_decides(engine: Engine) -> None:
    seed(engine, codes={})
    recorded = request_leave(engine, ASKED, actor="cli", now=NOW)
    add_user(engine, "la@example.org", "la_officer", None, "a long enough password", now=NOW)
    add_user(
        engine, "head2@example.org", "headteacher", OTHER_URN, "a long enough password", now=NOW
    )
    add_user(engine, "head@example.org", "headteacher", URN, "a long enough password", now=NOW)
    for actor in ("la@example.org", "head2@example.org"):
        with pytest.raises(NotAllowed):
            _decide(engine, recorded.decision_id, True, actor=actor)
    _decide(engine, recorded.decision_id, True, actor="head@example.org")
    [approved] = _audit(engine, AuditKind.DECISION_APPROVED)
    assert approved.actor == "head@example.org"
