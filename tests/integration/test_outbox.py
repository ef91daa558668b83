"""The outbox on real SQLite and PostgreSQL: enqueue, claim, results, sweepers, audit entries."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Contact, Message
from notifications.messages import MessageStatus
from notifications.outbox import (
    OutcomeKind,
    SendOutcome,
    cancel_queued,
    claim_due,
    queue_drafts,
    record_result,
    requeue_stale,
    timeout_sending,
)
from notifications.queue import render_draft
from tests.support.outbox_data import MORNING, create_family, draft_for, queue

S = MessageStatus


Family = tuple[Contact, int]


def _id(message: Message) -> int:
    assert message.id is not None
    return message.id


def _message(engine: Engine, message_id: int) -> Message:
    with unit_of_work(engine) as session:
        row = session.get(Message, message_id)
        assert row is not None
        return row


def _audit(engine: Engine, kind: str) -> list[AuditEntry]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.kind == kind)))


def _statuses(engine: Engine) -> dict[int, str]:
    with unit_of_work(engine) as session:
        return {m.id or 0: m.status for m in session.exec(select(Message))}


@pytest.fixture
def family(engine: Engine) -> Family:
    with unit_of_work(engine) as session:
        contact, case_id = create_family(
            session, 1, mobile="+447700900001", email="parent1@simulator.invalid"
        )
    return contact, case_id


class TestEnqueue:
    def test_enqueue_renders_and_returns_only_new_rows_when_run_twice(
        self, engine: Engine, family: Family
    ) -> None:
        """A second enqueue of the same drafts inserts nothing and returns nothing."""
        contact, case_id = family
        drafts = [draft_for(1, contact, case_id, ch) for ch in ("sms", "email", "letter")]
        with unit_of_work(engine) as session:
            first = queue(session, drafts, MORNING)
        with unit_of_work(engine) as session:
            second = queue(session, [*drafts, drafts[0]], MORNING)
        assert [m.channel for m in first] == ["sms", "email", "letter"]
        assert second == []
        sms, email, letter = first
        assert "Robin1 is not in school this morning" in sms.body
        assert sms.template_sha256
        assert sms.status == S.QUEUED
        assert sms.subject == ""
        assert email.subject == "Robin1 is not in school this morning"
        assert "Nobody has told us why" in email.body
        assert "<p>" in email.body_html
        assert letter.body.lstrip().startswith("<!DOCTYPE html>")
        assert len(_audit(engine, "message.queued")) == 3

    def test_drafts_rendered_before_the_write_are_stored_as_rendered(
        self, engine: Engine, family: Family
    ) -> None:
        """A sweep renders before it takes the write lock: the outbox keeps what it was given,
        and what it was given is what rendering at enqueue would have stored."""
        contact, case_id = family
        drafts = [draft_for(1, contact, case_id, ch) for ch in ("sms", "email", "letter")]
        rendered = {d.idempotency_key: render_draft(d) for d in drafts}
        sms_key = drafts[0].idempotency_key
        rendered[sms_key] = replace(rendered[sms_key], plain="rendered before the lock")
        with unit_of_work(engine) as session:
            queue_drafts(session, drafts, MORNING, rendered)
        with unit_of_work(engine) as session:
            rows = {m.channel: m for m in session.exec(select(Message))}
        assert rows["sms"].body == "rendered before the lock"
        for draft in drafts[1:]:
            fresh = render_draft(draft)
            row = rows[draft.channel]
            assert (row.subject, row.template_sha256) == (fresh.subject, fresh.template_sha256)
            assert (row.body, row.body_html) == (
                (fresh.html, "") if draft.channel == "letter" else (fresh.text, fresh.html)
            )

    def test_message_queued_detail_carries_the_contract_keys(
        self, engine: Engine, family: Family
    ) -> None:
        """message.* detail names channel, template, recipient role, contact and message id."""
        contact, case_id = family
        with unit_of_work(engine) as session:
            (row,) = queue(session, [draft_for(1, contact, case_id, "sms")], MORNING)
        (entry,) = _audit(engine, "message.queued")
        assert entry.actor == "system"
        assert entry.detail == {
            "channel": "sms",
            "template": "first_day_call/parent",
            "recipient_role": "parent",
            "contact_id": contact.contact_id,
            "message_id": row.id,
        }
        assert "+44" not in str(entry.detail)

    def test_cancel_queued_cancels_only_unsent_messages_under_the_prefix(
        self, engine: Engine, family: Family
    ) -> None:
        """Cancelling by key prefix leaves sent messages alone; `_` in keys is not a wildcard."""
        contact, case_id = family
        drafts = [draft_for(1, contact, case_id, ch) for ch in ("sms", "email")]
        with unit_of_work(engine) as session:
            sms, email = queue(session, drafts, MORNING)
        claim_due(engine, MORNING, 1, channels=["sms"])
        with unit_of_work(engine) as session:
            assert cancel_queued(session, "A000000000001:first?day", MORNING) == []
            cancelled = cancel_queued(session, "A000000000001:first_day_call:", MORNING)
        assert [m.id for m in cancelled] == [email.id]
        assert cancelled[0].status == S.CANCELLED
        assert _statuses(engine) == {sms.id: S.SENDING, email.id: S.CANCELLED}


class TestClaimAndResults:
    def test_claim_commits_sending_and_counts_the_attempt(
        self, engine: Engine, family: Family
    ) -> None:
        """A claimed row is `sending` with attempts 1 before any provider is called."""
        contact, case_id = family
        with unit_of_work(engine) as session:
            (row,) = queue(session, [draft_for(1, contact, case_id, "sms")], MORNING)
        assert claim_due(engine, MORNING, 10) == [row.id]
        assert claim_due(engine, MORNING, 10) == []
        claimed = _message(engine, _id(row))
        assert (claimed.status, claimed.attempts) == (S.SENDING, 1)

    def test_retry_waits_for_next_attempt_at(self, engine: Engine, family: Family) -> None:
        """A retryable result puts the row back, due only at its retry time."""
        contact, case_id = family
        with unit_of_work(engine) as session:
            (row,) = queue(session, [draft_for(1, contact, case_id, "sms")], MORNING)
        claim_due(engine, MORNING, 1)
        retry_at = MORNING + timedelta(minutes=2)
        outcome = SendOutcome(OutcomeKind.RETRY, "twilio", reason="HTTP 503", retry_at=retry_at)
        record_result(engine, _id(row), outcome, MORNING)
        assert claim_due(engine, MORNING + timedelta(minutes=1), 1) == []
        assert claim_due(engine, retry_at, 1) == [row.id]
        assert _message(engine, _id(row)).attempts == 2

    def test_sent_then_duplicate_result_writes_one_sent_entry(
        self, engine: Engine, family: Family
    ) -> None:
        """Recording `sent` twice changes nothing the second time."""
        contact, case_id = family
        with unit_of_work(engine) as session:
            (row,) = queue(session, [draft_for(1, contact, case_id, "sms")], MORNING)
        claim_due(engine, MORNING, 1)
        sent = SendOutcome(OutcomeKind.SENT, "twilio", reference="SM1")
        record_result(engine, _id(row), sent, MORNING)
        record_result(engine, _id(row), sent, MORNING)
        message = _message(engine, _id(row))
        assert (message.status, message.provider, message.provider_ref) == (S.SENT, "twilio", "SM1")
        (entry,) = _audit(engine, "message.sent")
        assert entry.detail["provider_ref"] == "SM1"

    def test_permanent_sms_failure_falls_back_to_email(
        self, engine: Engine, family: Family
    ) -> None:
        """The family is then emailed, under the failed key plus `:fallback:email`."""
        contact, case_id = family
        with unit_of_work(engine) as session:
            (row,) = queue(session, [draft_for(1, contact, case_id, "sms")], MORNING)
        claim_due(engine, MORNING, 1)
        outcome = SendOutcome(OutcomeKind.PERMANENT, "twilio", reason="invalid", code="21211")
        record_result(engine, _id(row), outcome, MORNING)
        with unit_of_work(engine) as session:
            fallback = session.exec(
                select(Message).where(
                    Message.idempotency_key == row.idempotency_key + ":fallback:email"
                )
            ).one()
        assert (fallback.channel, fallback.normalised_to) == ("email", contact.email)
        assert fallback.subject == "Robin1 is not in school this morning"
        (failed,) = _audit(engine, "message.failed")
        assert failed.detail["error_code"] == "21211"
        queued = _audit(engine, "message.queued")
        assert [e.detail.get("fallback_for") for e in queued] == [None, row.id]

    def test_permanent_failure_without_email_falls_back_to_a_letter(self, engine: Engine) -> None:
        """A contact with no email gets a letter to their address."""
        with unit_of_work(engine) as session:
            contact, case_id = create_family(session, 2, mobile="+447700900002", email=None)
            (row,) = queue(session, [draft_for(2, contact, case_id, "sms")], MORNING)
        claim_due(engine, MORNING, 1)
        record_result(engine, _id(row), SendOutcome(OutcomeKind.PERMANENT, "twilio"), MORNING)
        with unit_of_work(engine) as session:
            channels = sorted(m.channel for m in session.exec(select(Message)))
            letter = session.exec(select(Message).where(Message.channel == "letter")).one()
        assert channels == ["letter", "sms"]
        assert letter.idempotency_key.endswith(":fallback:letter")
        assert "1 Example Road" in letter.body


class TestSweepers:
    def test_stale_sending_becomes_unknown_but_letters_are_queued_again(
        self, engine: Engine, family: Family
    ) -> None:
        """A text in the crash window is never resent blindly; a letter can be rendered again."""
        contact, case_id = family
        drafts = [draft_for(1, contact, case_id, ch) for ch in ("sms", "letter")]
        with unit_of_work(engine) as session:
            sms, letter = queue(session, drafts, MORNING)
        claim_due(engine, MORNING, 10)
        assert requeue_stale(engine, MORNING + timedelta(minutes=5), timedelta(minutes=10)) == 0
        assert requeue_stale(engine, MORNING + timedelta(minutes=11), timedelta(minutes=10)) == 2
        assert _statuses(engine) == {sms.id: S.UNKNOWN, letter.id: S.QUEUED}

    def test_timeout_turns_silent_sent_texts_into_temporary_failures(
        self, engine: Engine, family: Family
    ) -> None:
        """Three days without a receipt is final; SMTP email (no receipts) stays sent."""
        contact, case_id = family
        drafts = [draft_for(1, contact, case_id, ch) for ch in ("sms", "email")]
        with unit_of_work(engine) as session:
            sms, email = queue(session, drafts, MORNING)
        claim_due(engine, MORNING, 10)
        record_result(engine, _id(sms), SendOutcome(OutcomeKind.SENT, "twilio", "SM9"), MORNING)
        record_result(engine, _id(email), SendOutcome(OutcomeKind.SENT, "smtp", "<m>"), MORNING)
        assert timeout_sending(engine, MORNING + timedelta(days=2), timedelta(days=3)) == 0
        assert (
            timeout_sending(engine, MORNING + timedelta(days=3, seconds=1), timedelta(days=3)) == 1
        )
        assert _statuses(engine) == {sms.id: S.TEMPORARY_FAILURE, email.id: S.SENT}
        (failed,) = _audit(engine, "message.failed")
        assert failed.detail["status"] == "temporary_failure"


def test_two_dispatchers_never_claim_the_same_message(engine: Engine) -> None:
    """Concurrent claims split the queue (SKIP LOCKED on PostgreSQL, one writer on SQLite)."""
    with unit_of_work(engine) as session:
        drafts = []
        for n in range(60):
            contact, case_id = create_family(session, 100 + n, mobile=f"+4477009001{n:02d}")
            drafts.append(draft_for(100 + n, contact, case_id, "sms"))
        queue(session, drafts, MORNING)
    claims: list[list[int]] = [[], [], []]

    def claimer(slot: int) -> None:
        while ids := claim_due(engine, MORNING, 7):
            claims[slot].extend(ids)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for ids in claims for i in ids]
    assert len(every) == len(set(every)) == 60
    with unit_of_work(engine) as session:
        attempts = session.execute(sa.select(sa.func.max(Message.attempts))).scalar()
    assert attempts == 1
