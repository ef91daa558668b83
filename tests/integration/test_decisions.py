"""Legal-step decisions on real SQLite and PostgreSQL: decide, notices, payment, expiry, bundle.

DOMAIN rules 19–27. The threshold decision comes from a real sweep; everything after it goes
through the service functions the CLI and the web call.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditKind, missing_detail_keys
from casework.core.calendar import RegisterSession
from casework.core.lifecycle import NoticeStatus
from casework.core.policy import Policy
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import (
    AuditEntry,
    CalendarEntry,
    Contact,
    Decision,
    Mark,
    Message,
    PenaltyNotice,
    Pupil,
    School,
    StageEntry,
    Task,
)
from casework.service.audit.trail import verify
from casework.service.errors import InvalidRequest, NotAllowed
from casework.service.legal.decisions import decide, decide_with_outcome, find_requested_decision
from casework.service.legal.withdrawal import withdraw_notice
from casework.service.sweeping.sweep import sweep_school
from casework.service.tasks.actions import complete_task
from casework.service.tasks.deadlines import run_deadlines
from casework.service.users import add_user
from tests.support.pdf_layout import text_off_the_page

URN, OTHER_URN, UPN = "100001", "100002", "J931400125005"
MUM, DAD = f"{UPN}-1", f"{UPN}-2"
NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)  # when actions are recorded; never asserted on
POLICY = Policy()
TERMS = (("2025-09-03", "2025-10-24"), ("2025-11-03", "2025-12-19"), ("2026-01-05", "2026-02-13"))
HOLIDAY = [date(2025, 11, d) for d in range(10, 15)]
MIXED = {
    date(2025, 11, 10): "O",
    date(2025, 11, 11): "O",
    date(2025, 11, 12): "G",
    date(2025, 11, 13): "U",
    date(2025, 11, 14): "N",
}


def _school(urn: str) -> School:
    return School(
        urn=urn,
        name=f"School {urn}",
        la_code="931",
        phase="secondary",
        am_register_closes=time(9, 15),
        pm_register_closes=time(13, 45),
    )


def _mark(day: date, session: str, code: str) -> Mark:
    return Mark(
        upn=UPN,
        urn=URN,
        school_date=day,
        session=session,
        code=code,
        original_code=code,
        recorded_at=datetime.combine(day, time(8, 0), UTC),
    )


def seed(engine: Engine, *, codes: dict[date, str] | None = None, **pupil: Any) -> None:
    """One school, its terms, one pupil with two parents, a week of absence."""
    schools: list[Any] = [_school(URN), _school(OTHER_URN)]
    for start, end in TERMS:
        schools += [
            CalendarEntry(entry_date=date.fromisoformat(start), kind="term_start"),
            CalendarEntry(entry_date=date.fromisoformat(end), kind="term_end"),
        ]
    values = {
        "upn": UPN,
        "urn": URN,
        "forename": "Sam",
        "surname": "Arch",
        "date_of_birth": date(2014, 3, 14),
        "year_group": "7",
        "sen_status": "N",
        **pupil,
    }
    rows: list[Any] = []
    for n, name in ((1, "Alex Arch"), (2, "Jo Arch")):
        rows.append(
            Contact(
                contact_id=f"{UPN}-{n}",
                upn=UPN,
                name=name,
                relationship="parent",
                parental_responsibility=True,
                priority=n,
                mobile=None,
                email=f"p{n}@example.org",
                preferred_channel="email",
                address=f"{n} High St, Townley, TL1 1AA",
            )
        )
    absence = codes if codes is not None else dict.fromkeys(HOLIDAY, "G")
    rows += [_mark(day, s, code) for day, code in absence.items() for s in ("AM", "PM")]
    # No ORM relationships: flush parents before the rows that point at them.
    with unit_of_work(engine) as db:
        for batch in (schools, [Pupil(**values)], rows):
            db.add_all(batch)
            db.flush()


def sweep(engine: Engine, day: date) -> None:
    for session in (RegisterSession.AM, RegisterSession.PM):
        sweep_school(engine, URN, day, session, policy=POLICY, now=NOW)


def requested(engine: Engine, kind: str = "penalty_notice") -> int:
    return find_requested_decision(engine, UPN, kind)


# Rule 27's factors, each answered (rule 39).
ANSWERED = {
    "support_offered": "Attendance meeting and plan offered",
    "support_engaged": "Not engaged",
    "send_or_medical": "None known",
    "welfare_safeguarding": "No concerns",
    "social_care": "None",
}


def approve(
    engine: Engine, decision_id: int, on: date, tmp_path: Path | None = None, **kwargs: Any
) -> Any:
    factors = {**ANSWERED, **kwargs.pop("factors", {})}
    kwargs.setdefault("confirm_gaps", True)
    return decide_with_outcome(
        engine,
        decision_id,
        approve=True,
        reason="Threshold met; support offered",
        actor="cli",
        on=on,
        now=NOW,
        factors=factors,
        policy=POLICY,
        var_dir=tmp_path,
        **kwargs,
    )


def entries(engine: Engine, kind: AuditKind) -> list[AuditEntry]:
    with Session(engine) as db:
        return list(
            db.exec(
                select(AuditEntry)
                .where(AuditEntry.kind == kind.value)
                .order_by(col(AuditEntry.seq))
            )
        )


def notices(engine: Engine) -> list[PenaltyNotice]:
    with Session(engine) as db:
        return list(db.exec(select(PenaltyNotice).order_by(col(PenaltyNotice.id))))


def prior_notice(engine: Engine, contact: str, issued: date, status: str) -> None:
    """A notice from an earlier decision, as the 3-year count will find it."""
    with unit_of_work(engine) as db:
        earlier = Decision(
            key=f"{UPN}:earlier:{contact}:{issued}",
            case_id=_case(db),
            upn=UPN,
            urn=URN,
            stage="penalty_notice",
            status="approved",
            requested_date=issued,
        )
        db.add(earlier)
        db.flush()
        db.add(
            PenaltyNotice(
                decision_id=earlier.id or 0,
                upn=UPN,
                contact_id=contact,
                sequence=1,
                amount_pence=16000,
                issued_date=issued,
                receipt_date=issued,
                pay_by_date=issued + timedelta(days=27),
                status=status,
            )
        )


def _case(db: Session) -> int:
    found = db.exec(select(Decision.case_id).where(Decision.upn == UPN)).first()
    assert found is not None
    return found


class TestPenaltyNoticeDecision:
    def test_threshold_opens_a_decision_and_nothing_else_legal(self, engine: Engine) -> None:
        """Rule 19: a sweep asks a person; no notice is ever issued by the engine."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        assert len(entries(engine, AuditKind.DECISION_REQUESTED)) == 1
        assert entries(engine, AuditKind.NOTICE_ISSUED) == []

    def test_approval_issues_one_notice_per_parent(self, engine: Engine) -> None:
        """Rules 21–22: each parent gets a first notice, deemed received 2 working days later."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        outcome = approve(engine, requested(engine), date(2025, 11, 21))  # a Friday
        rows = notices(engine)
        assert [
            (n.contact_id, n.sequence, n.amount_pence, n.reduced_amount_pence) for n in rows
        ] == [(MUM, 1, 16000, 8000), (DAD, 1, 16000, 8000)]
        assert {n.receipt_date for n in rows} == {date(2025, 11, 25)}  # Tuesday after the weekend
        assert {n.reduced_pay_by_date for n in rows} == {date(2025, 12, 15)}
        assert {n.pay_by_date for n in rows} == {date(2025, 12, 22)}
        assert len(outcome.notices) == 2
        issued = entries(engine, AuditKind.NOTICE_ISSUED)
        assert [e.detail["contact_id"] for e in issued] == [MUM, DAD]
        assert all(missing_detail_keys(AuditKind.NOTICE_ISSUED, e.detail) == set() for e in issued)
        assert all(e.detail["reduced_amount_pence"] == 8000 for e in issued)
        with Session(engine) as db:
            letters = db.exec(select(Message).where(Message.template == "legal/penalty_notice"))
            assert sorted(m.recipient_ref or "" for m in letters) == [MUM, DAD]
            tasks = db.exec(select(Task).where(Task.kind == "notice_payment")).all()
            assert {t.due_date for t in tasks} == {date(2025, 12, 22)}
            stage = db.exec(select(StageEntry).where(StageEntry.stage == "penalty_notice")).one()
            assert stage.status == "open"
        assert verify(engine) is None

    def test_letter_carries_every_item_of_a_penalty_notice(self, engine: Engine) -> None:
        """DOMAIN Part 2 §8.4 (a)–(k) in the rendered notice."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))
        with Session(engine) as db:
            body = db.exec(
                select(Message.body).where(
                    Message.recipient_ref == MUM, Message.template == "legal/penalty_notice"
                )
            ).one()
        for item in (
            "Alex Arch",
            "1 High St",
            "Sam Arch",
            "School 100001",
            "PN-0000",
            "10 November 2025 to 14 November 2025",
            "17 November 2025",
            "£80.00",
            "9 December 2025",
            "£160.00",
            "16 December 2025",
            POLICY.la.name,
            "County Hall",
            "Online at",
            "discharges your liability",
            "If you do not pay",
            "ought not to have been issued",
            "should not have been issued to you",
            "material error",
        ):
            assert item in body, item

    def test_second_notice_has_no_reduction_and_a_third_is_barred(self, engine: Engine) -> None:
        """Rule 21: 1 prior -> £160 flat; 2 prior -> no notice, a prosecution decision instead."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        prior_notice(engine, MUM, date(2025, 1, 10), "paid")
        prior_notice(engine, MUM, date(2025, 6, 10), "paid")
        prior_notice(engine, DAD, date(2025, 6, 10), "issued")
        outcome = approve(engine, requested(engine), date(2025, 11, 17))
        new = [n for n in notices(engine) if n.issued_date == date(2025, 11, 17)]
        assert [(n.contact_id, n.sequence, n.reduced_amount_pence) for n in new] == [(DAD, 2, None)]
        assert outcome.barred_contacts == (MUM,)
        prosecution = requested(engine, "prosecution")
        with Session(engine) as db:
            row = db.get(Decision, prosecution)
            assert row is not None
            assert row.context["contact_ids"] == MUM
            assert row.context["lay_by_date"] == "2026-05-14"
        issued = entries(engine, AuditKind.NOTICE_ISSUED)
        assert "reduced_amount_pence" not in issued[-1].detail

    def test_withdrawn_notice_does_not_count(self, engine: Engine) -> None:
        """Rule 24: a withdrawn notice is out of the 3-year count."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        prior_notice(engine, MUM, date(2025, 6, 10), "withdrawn")
        approve(engine, requested(engine), date(2025, 11, 17))
        assert {n.sequence for n in notices(engine) if n.status == "issued"} == {1}


class TestGuards:
    def test_reason_is_required(self, engine: Engine) -> None:
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        with pytest.raises(InvalidRequest, match="reason"):
            decide(
                engine,
                requested(engine),
                approve=True,
                reason="  ",
                actor="cli",
                on=date(2025, 11, 17),
                now=NOW,
                factors={},
                policy=POLICY,
            )

    def test_ehcp_pupil_needs_support_considered(self, engine: Engine) -> None:
        """Rule 27: refused without a "support considered" record; nothing is written."""
        seed(engine, sen_status="E")
        sweep(engine, date(2025, 11, 14))
        decision_id = requested(engine)
        with pytest.raises(InvalidRequest, match="EHCP"):
            approve(engine, decision_id, date(2025, 11, 17))
        assert notices(engine) == []
        assert entries(engine, AuditKind.DECISION_APPROVED) == []
        approve(
            engine,
            decision_id,
            date(2025, 11, 17),
            support_considered="EHCP review 2025-10-02: provision in place, attendance plan",
        )
        assert len(entries(engine, AuditKind.SUPPORT_CONSIDERED)) == 1
        approved = entries(engine, AuditKind.DECISION_APPROVED)
        assert approved[0].detail["factors"]["support_considered"].startswith("EHCP review")
        assert approved[0].stage == "penalty_notice"

    def test_decider_is_a_headteacher_of_the_school_or_an_la_officer(self, engine: Engine) -> None:
        """Rule 23: other roles and other schools' headteachers are refused."""
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        add_user(engine, "head@other.example", "headteacher", OTHER_URN, "long password 1", NOW)
        add_user(engine, "ao@school.example", "attendance_officer", URN, "long password 1", NOW)
        add_user(engine, "officer@la.example", "la_officer", None, "long password 1", NOW)
        decision_id = requested(engine)
        for actor in ("head@other.example", "ao@school.example", "nobody@example.org"):
            with pytest.raises(NotAllowed):
                decide(
                    engine,
                    decision_id,
                    approve=True,
                    reason="r",
                    actor=actor,
                    on=date(2025, 11, 17),
                    now=NOW,
                    factors={},
                    policy=POLICY,
                )
        decide(
            engine,
            decision_id,
            approve=False,
            reason="Family moved abroad",
            actor="officer@la.example",
            on=date(2025, 11, 17),
            now=NOW,
            factors={},
            policy=POLICY,
        )
        declined = entries(engine, AuditKind.DECISION_DECLINED)
        assert [(e.actor, e.detail["reason"]) for e in declined] == [
            ("officer@la.example", "Family moved abroad")
        ]
        with pytest.raises(InvalidRequest, match="already declined"):
            approve(engine, decision_id, date(2025, 11, 18))

    def test_pupil_below_compulsory_school_age_gets_no_decision(self, engine: Engine) -> None:
        """Rule 23: below compulsory school age the threshold asks nobody."""
        seed(engine, date_of_birth=date(2021, 4, 1))
        sweep(engine, date(2025, 11, 14))
        assert entries(engine, AuditKind.DECISION_REQUESTED) == []


class TestPaymentAndExpiry:
    def _issue(self, engine: Engine) -> None:
        seed(engine)
        sweep(engine, date(2025, 11, 14))
        approve(engine, requested(engine), date(2025, 11, 17))  # received Wed 19 November

    def _pay(self, engine: Engine, contact: str, on: date, note: str = "") -> None:
        with Session(engine) as db:
            task = db.exec(
                select(Task).where(Task.kind == "notice_payment", col(Task.key).endswith(contact))
            ).one()
        complete_task(
            engine,
            task.id or 0,
            outcome="paid",
            actor="cli",
            on=on,
            now=NOW,
            note=note,
            policy=POLICY,
        )

    def test_day_20_is_80_pounds_and_day_25_is_160(self, engine: Engine) -> None:
        """The rate due on the day paid is recorded, and the notice closes."""
        self._issue(engine)
        self._pay(engine, MUM, date(2025, 12, 8), note="£80 by card")  # day 20
        self._pay(engine, DAD, date(2025, 12, 13))  # day 25
        paid = {n.contact_id: (n.status, n.paid_amount_pence) for n in notices(engine)}
        assert paid == {MUM: ("paid", 8000), DAD: ("paid", 16000)}
        details = [e.detail for e in entries(engine, AuditKind.NOTICE_PAID)]
        assert [(d["amount_pence"], d["payment_day"], d["rate"]) for d in details] == [
            (8000, 20, "reduced"),
            (16000, 25, "full"),
        ]
        with Session(engine) as db:
            stage = db.exec(select(StageEntry).where(StageEntry.stage == "penalty_notice")).one()
            assert stage.status == "closed"
        run_deadlines(engine, date(2026, 1, 5), policy=POLICY, now=NOW)
        assert entries(engine, AuditKind.NOTICE_EXPIRED) == []

    def test_wrong_amount_in_the_note_is_refused(self, engine: Engine) -> None:
        self._issue(engine)
        with pytest.raises(InvalidRequest, match=r"£80\.00 was due"):
            self._pay(engine, MUM, date(2025, 12, 8), note="took £160 cash")
        assert {n.status for n in notices(engine)} == {"issued"}

    def test_unpaid_notice_asks_to_prosecute_or_withdraw(self, engine: Engine) -> None:
        """Rule 25: unpaid after 28 days -> expired and a prosecution decision; paid never."""
        self._issue(engine)
        self._pay(engine, MUM, date(2025, 12, 8))
        run_deadlines(engine, date(2025, 12, 16), policy=POLICY, now=NOW)  # day 28: not yet
        assert entries(engine, AuditKind.NOTICE_EXPIRED) == []
        run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
        run_deadlines(engine, date(2025, 12, 18), policy=POLICY, now=NOW)  # idempotent
        expired = entries(engine, AuditKind.NOTICE_EXPIRED)
        assert [e.detail["contact_id"] for e in expired] == [DAD]
        prosecution = requested(engine, "prosecution")
        decide(
            engine,
            prosecution,
            approve=False,
            reason="Parent now engaging with support",
            actor="cli",
            on=date(2026, 1, 5),
            now=NOW,
            factors={},
            policy=POLICY,
        )
        by_contact = {n.contact_id: n for n in notices(engine)}
        assert by_contact[DAD].status == NoticeStatus.WITHDRAWN.value
        assert by_contact[DAD].withdrawal_grounds == "not_prosecuted"
        assert by_contact[MUM].status == "paid"
        assert not by_contact[MUM].prosecuted

    def test_withdrawal_refunds_and_is_told_in_writing(self, engine: Engine) -> None:
        """DOMAIN §8.5: refund recorded, letter to the recipient, proceedings barred."""
        self._issue(engine)
        self._pay(engine, MUM, date(2025, 12, 1))
        mum = next(n for n in notices(engine) if n.contact_id == MUM)
        withdraw_notice(
            engine,
            mum.id or 0,
            grounds="material_error",
            reason="Wrong dates",
            actor="cli",
            on=date(2025, 12, 2),
            now=NOW,
            policy=POLICY,
        )
        withdrawn = entries(engine, AuditKind.NOTICE_WITHDRAWN)[0].detail
        assert (withdrawn["grounds"], withdrawn["refunded_pence"]) == ("material_error", 8000)
        with Session(engine) as db:
            letter = db.exec(
                select(Message).where(Message.template == "legal/notice_withdrawn")
            ).one()
            assert "refund the £80.00" in letter.body
        with pytest.raises(InvalidRequest, match="already withdrawn"):
            withdraw_notice(
                engine,
                mum.id or 0,
                grounds="material_error",
                reason="again",
                actor="cli",
                on=date(2025, 12, 2),
                now=NOW,
                policy=POLICY,
            )


class TestNoticeToImprove:
    def test_breach_in_the_improvement_period_asks_for_a_penalty_notice(
        self, engine: Engine
    ) -> None:
        """Rule 20: mixed absence -> NTI first; a further unauthorised session -> PN decision."""
        seed(engine, codes={**MIXED, date(2025, 11, 25): "O"})
        sweep(engine, date(2025, 11, 14))
        nti = requested(engine, "notice_to_improve")
        approve(engine, nti, date(2025, 11, 17))
        with Session(engine) as db:
            row = db.get(Decision, nti)
            assert row is not None
            assert (row.context["improvement_from"], row.context["improvement_to"]) == (
                "2025-11-18",
                "2026-01-12",
            )
            letters = db.exec(select(Message).where(Message.template == "legal/notice_to_improve"))
            assert len(list(letters)) == 2
        sweep(engine, date(2025, 11, 24))
        with pytest.raises(Exception, match="no penalty_notice decision"):
            requested(engine)
        sweep(engine, date(2025, 11, 25))
        breach = requested(engine)
        with Session(engine) as db:
            row = db.get(Decision, breach)
            assert row is not None
            assert row.requested_date == date(2025, 11, 25)
            assert row.key.endswith(":breach")


def test_prosecution_needs_eso_and_contract_then_makes_the_bundle(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Rule 26: approval needs an ESO considered and a contract explored; then the bundle."""
    engine = get_engine(sqlite_url)
    seed(engine)
    with unit_of_work(engine) as db:  # the original N, amended to G an hour later
        original = _mark(HOLIDAY[0], "AM", "N")
        original.recorded_at -= timedelta(hours=1)
        db.add(original)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))
    run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
    prosecution = requested(engine, "prosecution")
    with pytest.raises(InvalidRequest, match="eso_considered, contract_explored"):
        approve(engine, prosecution, date(2026, 1, 5), tmp_path)
    factors = {
        "eso_considered": "Considered at panel: not suitable",
        "contract_explored": "Offered 1 October, declined",
    }
    with pytest.raises(InvalidRequest, match="interview under caution"):
        approve(engine, prosecution, date(2026, 1, 5), tmp_path, factors=factors)
    with Session(engine) as db:
        interviews = db.exec(select(Task).where(Task.kind == "interview_under_caution")).all()
    assert [t.due_date for t in interviews] == [date(2026, 1, 14), date(2026, 1, 14)]
    for task in interviews:  # rule 36: each parent interviewed under caution
        complete_task(
            engine, task.id or 0, outcome="attended", actor="cli", on=date(2026, 1, 5), now=NOW
        )
    outcome = approve(engine, prosecution, date(2026, 1, 5), tmp_path, factors=factors)
    folder = tmp_path / "bundles" / f"{UPN}-2026-01-05"
    assert outcome.bundle_path == str(folder)
    created = entries(engine, AuditKind.BUNDLE_CREATED)[0].detail
    pdf = (folder / "bundle.pdf").read_bytes()
    assert text_off_the_page(folder / "bundle.pdf") == []
    assert text_off_the_page(folder / "certificate_s566.pdf") == []
    assert created["sha256"] == hashlib.sha256(pdf).hexdigest()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {
        "bundle.pdf",
        "certificate_s566.pdf",
        "register_extract.csv",
        "chronology.jsonl",
        "tasks.csv",
        "decisions.json",
    } <= set(manifest["files"])
    # Nothing was dispatched here: every family letter is rendered from its queued HTML.
    letters = manifest["letters"]
    # The warning before prosecution (issue 20, fix 10) is a letter the family was sent too.
    assert {e["template"] for e in letters} == {
        "legal/penalty_notice",
        "prosecution/warning",
        "legal/prosecution_decision",
    }
    assert all(e["status"] == "queued" and e["file"] in manifest["files"] for e in letters)
    extract = (folder / "register_extract.csv").read_text().splitlines()
    assert [line for line in extract if line.startswith("2025-11-10,AM")] == [
        "2025-11-10,AM,N,N,2025-11-10 07:00,False",
        "2025-11-10,AM,G,G,2025-11-10 08:00,True",
    ]
    text = "".join(
        page.get_textpage().get_text_range() for page in pdfium.PdfDocument(folder / "bundle.pdf")
    )
    for expected in (
        "Section 566 certificate of attendance",
        "Sam Arch",
        "PN-000002",
        "AM: N (2025-11-10 07:00) → G (2025-11-10 08:00)",
        "2026-05-14",
    ):
        assert expected in text, expected
    chronology = (folder / "chronology.jsonl").read_text().splitlines()
    assert any('"decision.approved"' in line and '"prosecution"' in line for line in chronology)
    assert all(n.prosecuted for n in notices(engine))
    with Session(engine) as db:
        letters = db.exec(select(Message).where(Message.template == "legal/prosecution_decision"))
        assert sorted(m.recipient_ref or "" for m in letters) == [MUM, DAD]
    assert verify(engine) is None
