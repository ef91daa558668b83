"""Decisions a person can defend, on real SQLite and PostgreSQL (issue 20, DOMAIN rules 25, 27,
39, 40 and Part 2 §18): every factor answered, support gaps confirmed and recorded, "support
considered" fresh, recipients recorded, notices signed by a person, late-recorded payments.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.lifecycle import DecisionStatus, NoticeStatus
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import AuditEntry, Contact, Decision, Message, Pupil, Task
from casework.service.demo.legal_cases import run_legal_walkthrough
from casework.service.errors import InvalidRequest
from casework.service.proposals import write_audit
from casework.service.sweeping.sweep import simulate
from casework.service.tasks.actions import complete_task
from casework.service.tasks.deadlines import run_deadlines
from casework.service.users import add_user
from notifications.dispatch import dispatch_due
from tests.integration.test_decisions import (
    ANSWERED,
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
from tests.support.settings import loopback_settings


def _approved(engine: Engine) -> AuditEntry:
    found = entries(engine, AuditKind.DECISION_APPROVED)
    assert len(found) == 1
    return found[0]


class TestFactorsAndGaps:
    def test_approving_with_no_factors_is_refused_and_nothing_is_written(
        self, engine: Engine
    ) -> None:
        """Fix 7 / rule 39: no factor at all used to be approved."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        with pytest.raises(InvalidRequest, match="support_offered, support_engaged"):
            approve(
                engine, requested(engine), date(2025, 11, 17), factors=dict.fromkeys(ANSWERED, "")
            )
        assert notices(engine) == []
        assert entries(engine, AuditKind.DECISION_APPROVED) == []

    def test_gaps_need_the_confirmation_which_is_recorded_with_the_factors(
        self, engine: Engine
    ) -> None:
        """Rule 39: the support never held is shown; approving over it needs --confirm-gaps."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        decision_id = requested(engine)
        with pytest.raises(InvalidRequest, match=r"Attendance plan: never held.*--confirm-gaps"):
            approve(engine, decision_id, date(2025, 11, 17), confirm_gaps=False)
        outcome = approve(engine, decision_id, date(2025, 11, 17))
        detail = _approved(engine).detail
        assert detail["gaps_confirmed"] is True
        assert "Attendance plan: never held" in detail["support_gaps"]
        assert detail["factors"] == ANSWERED
        assert "Attendance plan: never held" in outcome.gaps

    def test_support_considered_goes_stale_after_the_policy_window(self, engine: Engine) -> None:
        """Fix 7 / rule 39: a "support considered" record 12+ school weeks old is not reused."""
        seed(engine, sen_status="E")
        sweep(engine, date(2025, 11, 14))
        summer = AuditDraft(
            kind=AuditKind.SUPPORT_CONSIDERED,
            actor="cli",
            school_date=date(2025, 6, 2),
            upn=UPN,
            detail={"note": "EHCP review"},
        )
        with unit_of_work(engine) as db:  # recorded long before this decision
            write_audit(db, [summer], NOW)
        with pytest.raises(InvalidRequest, match="older than the window"):
            approve(engine, requested(engine), date(2025, 11, 17))


class TestRecipientsAndSigner:
    def test_a_parent_without_an_address_does_not_block_the_other(self, engine: Engine) -> None:
        """Part 2 §18: the decision records who receives a notice and who does not, and why."""
        seed(engine)
        with unit_of_work(engine) as db:
            dad = db.get(Contact, DAD)
            assert dad is not None
            dad.address = ""
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        assert [(n.contact_id, n.status) for n in notices(engine)] == [(MUM, "issued")]
        detail = _approved(engine).detail
        assert detail["recipients"] == [MUM]
        assert detail["not_issued"] == {DAD: "no postal address recorded"}

    def test_the_decider_may_name_the_parents(self, engine: Engine) -> None:
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17), recipients=[DAD])
        assert [n.contact_id for n in notices(engine)] == [DAD]

    def test_a_notice_decided_from_the_cli_is_signed_by_the_policy_officer(
        self, engine: Engine
    ) -> None:
        """Fix 11 / rule 40: never "Authorised officer … (recorded as cli)"."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        with Session(engine) as db:
            body = db.exec(
                select(Message.body).where(
                    Message.recipient_ref == MUM, Message.template == "legal/penalty_notice"
                )
            ).one()
        legal = POLICY.legal
        assert legal.authorised_officer_name in body
        assert legal.authorised_officer_title in body
        assert "recorded as" not in body


def _pay(engine: Engine, contact: str, on: date) -> None:
    with Session(engine) as db:
        task = db.exec(
            select(Task).where(Task.kind == "notice_payment", col(Task.key).endswith(contact))
        ).one()
    complete_task(
        engine, task.id or 0, outcome="paid", actor="cli", on=on, now=NOW, note="", policy=POLICY
    )


class TestLatePayment:
    def test_a_payment_in_time_recorded_after_expiry_reopens_the_notice_as_paid(
        self, engine: Engine
    ) -> None:
        """Fix 2 / rule 25: paid 15 Dec (day 27), recorded after the 17 Dec expiry run."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        _pay(engine, MUM, date(2025, 12, 8))
        run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
        assert {n.contact_id: n.status for n in notices(engine)}[DAD] == "expired"
        _pay(engine, DAD, date(2025, 12, 15))
        by_contact = {n.contact_id: n for n in notices(engine)}
        assert by_contact[DAD].status == NoticeStatus.PAID.value
        assert by_contact[DAD].paid_amount_pence == 16000
        with Session(engine) as db:
            prosecution = db.exec(select(Decision).where(Decision.stage == "prosecution")).one()
        assert prosecution.status == DecisionStatus.CLOSED.value
        closed = entries(engine, AuditKind.DECISION_CLOSED)
        assert [e.detail["decision_id"] for e in closed] == [prosecution.id]
        paid = entries(engine, AuditKind.NOTICE_PAID)[-1].detail
        assert paid["recorded_after_expiry"] is True

    def test_a_payment_after_the_period_is_still_refused(self, engine: Engine) -> None:
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
        with pytest.raises(InvalidRequest, match="payment period"):
            _pay(engine, MUM, date(2025, 12, 23))
        assert {n.status for n in notices(engine)} == {"expired"}


class TestSimulateReplaysTheDay:
    def test_a_notice_left_unpaid_over_a_replayed_history_asks_about_prosecution(
        self, engine: Engine
    ) -> None:
        """Fix 9: simulate runs each day's deadlines after its sweeps, as the live system does."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))  # pay by 16 December
        simulate(engine, date(2025, 11, 17), date(2025, 12, 19), policy=POLICY, now=NOW)
        expired = entries(engine, AuditKind.NOTICE_EXPIRED)
        assert {(e.detail["contact_id"], e.school_date) for e in expired} == {
            (MUM, date(2025, 12, 17)),
            (DAD, date(2025, 12, 17)),
        }
        assert requested(engine, "prosecution")
        overdue = entries(engine, AuditKind.TASK_OVERDUE)
        assert {e.detail["task_kind"] for e in overdue} >= {"notice_payment"}


def _messages(engine: Engine, template: str) -> list[Message]:
    with Session(engine) as db:
        return list(db.exec(select(Message).where(Message.template == template)))


class TestLettersThatAreSent:
    def test_an_unpaid_notice_is_reminded_once_a_week_before_its_last_day(
        self, engine: Engine
    ) -> None:
        """Fix 10: the payment reminder existed but nothing sent it."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))  # last payment day 16 December
        _pay(engine, MUM, date(2025, 11, 24))
        run_deadlines(engine, date(2025, 12, 8), policy=POLICY, now=NOW)
        assert _messages(engine, "notice_payment/reminder") == []
        for day in (9, 10, 15):
            run_deadlines(engine, date(2025, 12, day), policy=POLICY, now=NOW)
        sent = _messages(engine, "notice_payment/reminder")
        assert [(m.recipient_ref, m.school_date) for m in sent] == [(DAD, date(2025, 12, 9))]
        assert "16 December 2025" in sent[0].body
        assert "£160.00" in sent[0].body

    def test_an_incomplete_register_emails_the_school_office_once(self, engine: Engine) -> None:
        """Fix 10: `school/register_incomplete` existed but nothing sent it (rule 7)."""
        seed(engine)
        add_user(engine, "office@school.example", "school_staff", URN, "long password 1", NOW)
        add_user(engine, "head@school.example", "headteacher", URN, "long password 1", NOW)
        with unit_of_work(engine) as db:
            db.add(
                Pupil(
                    upn="K931400125006",
                    urn=URN,
                    forename="Kim",
                    surname="Lee",
                    date_of_birth=date(2014, 5, 1),
                    year_group="7",
                    sen_status="N",
                )
            )
        sweep(engine, date(2025, 11, 14))
        sweep(engine, date(2025, 11, 14))  # a second run sends nothing again
        sent = _messages(engine, "school/register_incomplete")
        assert sorted(
            (m.normalised_to or m.context.get("to", ""), m.recipient_role) for m in sent
        ) == [
            ("office@school.example", "school"),
            ("office@school.example", "school"),
        ]
        assert {m.subject for m in sent} == {
            "Register not complete: 1 pupils have no mark for the morning of 14 November 2025",
            "Register not complete: 1 pupils have no mark for the afternoon of 14 November 2025",
        }


class TestPostedLate:
    def test_a_notice_posted_three_days_late_moves_its_receipt_and_periods(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Fix 6 / rule 22: the periods run from the recorded posting date, not the decision."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))  # received Wed 19 November
        dispatch_due(engine, loopback_settings(tmp_path), datetime(2025, 11, 17, 15, 0, tzinfo=UTC))
        with Session(engine) as db:
            to_post = db.exec(select(Task).where(Task.kind == "letter_to_post")).all()
            mum_letter = next(
                t
                for t in to_post
                if (m := db.get(Message, t.context["message_id"])) and m.recipient_ref == MUM
            )
        complete_task(
            engine,
            mum_letter.id or 0,
            outcome="posted",
            actor="cli",
            on=date(2025, 11, 20),  # posted three days after the decision
            now=NOW,
            policy=POLICY,
        )
        by_contact = {n.contact_id: n for n in notices(engine)}
        mum, dad = by_contact[MUM], by_contact[DAD]
        assert (mum.receipt_date, mum.reduced_pay_by_date, mum.pay_by_date) == (
            date(2025, 11, 24),
            date(2025, 12, 14),
            date(2025, 12, 21),
        )
        assert dad.pay_by_date == date(2025, 12, 16)
        run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
        assert {n.contact_id: n.status for n in notices(engine)} == {MUM: "issued", DAD: "expired"}
        _pay(engine, MUM, date(2025, 12, 12))  # day 19 after the moved receipt: reduced rate
        assert {n.contact_id: n.paid_amount_pence for n in notices(engine)}[MUM] == 8000
        posted = entries(engine, AuditKind.NOTICE_POSTED)
        assert [(e.detail["contact_id"], e.detail["posted_date"]) for e in posted] == [
            (MUM, "2025-11-20")
        ]


def _task_id(engine: Engine, kind: str) -> int:
    with Session(engine) as db:
        task = db.exec(select(Task).where(Task.kind == kind, Task.status != "completed")).one()
    return task.id or 0


class TestCourt:
    def test_from_an_unpaid_notice_to_a_parenting_order(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Rules 36-37: interview, prosecution, information laid in time, the court's order."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
        with Session(engine) as db:
            interviews = db.exec(select(Task).where(Task.kind == "interview_under_caution")).all()
        for task in interviews:
            complete_task(
                engine, task.id or 0, outcome="declined", actor="cli", on=date(2026, 1, 5), now=NOW
            )
        factors = {"eso_considered": "Panel: not suitable", "contract_explored": "Declined"}
        approve(
            engine, requested(engine, "prosecution"), date(2026, 1, 5), tmp_path, factors=factors
        )
        laying = _task_id(engine, "lay_information")
        with pytest.raises(InvalidRequest, match="limit ended on 2026-05-14"):
            complete_task(
                engine, laying, outcome="laid", actor="cli", on=date(2026, 5, 15), now=NOW
            )
        complete_task(
            engine,
            laying,
            outcome="laid",
            actor="cli",
            on=date(2026, 1, 12),
            now=NOW,
            var_dir=tmp_path,
        )
        court = _task_id(engine, "court_outcome")
        complete_task(
            engine,
            court,
            outcome="convicted",
            actor="cli",
            on=date(2026, 3, 2),
            now=NOW,
            note="fine_pence=20000 parenting_order=yes term_months=6",
            var_dir=tmp_path,
        )
        laid = entries(engine, AuditKind.INFORMATION_LAID)
        assert [e.detail["laid_date"] for e in laid] == ["2026-01-12"]
        (outcome,) = entries(engine, AuditKind.COURT_OUTCOME)
        assert (outcome.detail["fine_pence"], outcome.detail["term_months"]) == (20000, 6)
        with Session(engine) as db:
            review = db.exec(select(Task).where(Task.kind == "parenting_order_review")).one()
        assert review.due_date == date(2026, 9, 2)
        bundles = entries(engine, AuditKind.BUNDLE_CREATED)
        assert [e.detail.get("after") for e in bundles] == [None, "laid", "court1"]
        court_json = Path(str(bundles[-1].detail["path"])) / "court.json"
        steps = json.loads(court_json.read_text("utf-8"))
        assert [i["outcome"] for i in steps["interviews"]] == ["declined the interview"] * 2
        assert steps["laid"] == [{"laid_date": "2026-01-12", "lay_by_date": "2026-05-14"}]
        assert steps["hearings"][0]["parenting_order"] == "yes, 6 months"
        assert steps["order_reviews"] == [{"due": "2026-09-02", "status": "open"}]
        first = json.loads((Path(str(bundles[0].detail["path"])) / "court.json").read_text())
        assert (first["laid"], first["hearings"]) == ([], [])  # the first bundle is kept as made


def test_the_demo_walks_a_notice_to_prosecution_with_every_factor(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The demo plays the people through the same checks: factors, gaps, interviews."""
    engine = get_engine(sqlite_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    walked = run_legal_walkthrough(engine, POLICY, tmp_path, NOW)
    assert walked is not None
    assert walked.notices == 2
    assert walked.prosecution_requested
    assert walked.bundle is not None
    assert (walked.bundle / "bundle.pdf").is_file()
