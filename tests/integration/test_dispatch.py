"""Dispatch with the embedded providers: file outbox, simulator receipts, quiet hours, letters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.db.session import unit_of_work
from casework.db.tables import AuditEntry, Letter, Message, Task
from notifications.dispatch import dispatch_due
from notifications.file_outbox import FileOutbox
from notifications.messages import MessageStatus
from notifications.outbox import claim_due, requeue_stale
from notifications.providers import OutgoingSms
from notifications.simulator import simulator_number
from tests.support.outbox_data import MORNING, create_family, draft_for, queue, seed_family_messages
from tests.support.settings import loopback_settings
from tests.support.twilio_server import TwilioServer

S = MessageStatus
EVENING = datetime(2025, 9, 8, 20, 30, tzinfo=UTC)  # 21:30 in London: quiet hours
BEFORE_EIGHT = datetime(2025, 9, 9, 6, 59, tzinfo=UTC)  # 07:59 London
EIGHT = datetime(2025, 9, 9, 7, 0, tzinfo=UTC)  # 08:00 London (BST)


def _rows(engine: Engine) -> list[Message]:
    with unit_of_work(engine) as session:
        return list(session.exec(select(Message).order_by(col(Message.id))))


def _kinds(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return [e.kind for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))]


class TestFileOutbox:
    def test_simulator_outcomes_come_back_as_receipts(self, engine: Engine, tmp_path: Path) -> None:
        """Delivered, temporary and permanent failure are scripted by number range."""
        numbers = [
            simulator_number(1, s) for s in (S.DELIVERED, S.TEMPORARY_FAILURE, S.PERMANENT_FAILURE)
        ]
        with unit_of_work(engine) as session:
            drafts = []
            for n, number in enumerate(numbers):
                contact, case_id = create_family(
                    session, n, mobile=number, email=f"p{n}@simulator.invalid"
                )
                drafts.append(draft_for(n, contact, case_id, "sms"))
            queue(session, drafts, MORNING)
        stats = dispatch_due(engine, loopback_settings(tmp_path), MORNING)
        rows = _rows(engine)
        assert [(m.channel, m.status) for m in rows] == [
            ("sms", S.DELIVERED),
            ("sms", S.TEMPORARY_FAILURE),
            ("sms", S.PERMANENT_FAILURE),
            ("email", S.DELIVERED),  # the fallback for the permanent failure
        ]
        assert (stats.claimed, stats.sent) == (4, 4)
        outbox = tmp_path / "outbox"
        assert sorted(p.name for p in outbox.iterdir()) == [
            f"{rows[0].id}-sms.txt",
            f"{rows[1].id}-sms.txt",
            f"{rows[2].id}-sms.txt",
            f"{rows[3].id}-email.eml",
        ]
        text = (outbox / f"{rows[0].id}-sms.txt").read_text()
        assert text == f"To: {numbers[0]}\n\n{rows[0].body}\n"
        assert _kinds(engine).count("message.delivered") == 2
        assert _kinds(engine).count("message.failed") == 2

    def test_redispatch_sends_nothing_twice(self, engine: Engine, tmp_path: Path) -> None:
        """A second run finds nothing due; the outbox folder is unchanged."""
        seed_family_messages(engine, 5, "sms")
        settings = loopback_settings(tmp_path)
        assert dispatch_due(engine, settings, MORNING).sent == 5
        again = dispatch_due(engine, settings, MORNING + timedelta(hours=1))
        assert (again.claimed, again.sent) == (0, 0)
        assert len(list((tmp_path / "outbox").iterdir())) == 5

    def test_crash_window_is_settled_from_the_outbox_folder(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A text written before the crash is recorded as sent, the other is sent now: once each."""
        ids = seed_family_messages(engine, 2, "sms")
        claim_due(engine, MORNING, 2)
        files = FileOutbox(tmp_path / "outbox", "x@example.org")
        (first,) = [m for m in _rows(engine) if m.id == ids[0]]
        files.send(OutgoingSms(ids[0], first.normalised_to, first.body))  # then the process died
        later = MORNING + timedelta(minutes=20)
        assert requeue_stale(engine, later, timedelta(minutes=10)) == 2
        stats = dispatch_due(engine, loopback_settings(tmp_path), later)
        assert (stats.reconciled, stats.sent) == (2, 1)
        assert {m.status for m in _rows(engine)} == {S.DELIVERED}
        assert _kinds(engine).count("message.sent") == 2


class TestQuietHours:
    def test_family_texts_wait_until_eight_but_email_goes(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """No text to a family between 21:00 and 08:00 London time; email is not held."""
        with TwilioServer() as twilio:
            sms_ids = seed_family_messages(engine, 3, "sms", now=EVENING)
            email_ids = seed_family_messages(engine, 2, "email", now=EVENING, start=10)
            settings = loopback_settings(tmp_path, twilio=twilio)
            evening = dispatch_due(engine, settings, EVENING)
            assert (evening.claimed, evening.sent) == (2, 2)
            assert dispatch_due(engine, settings, BEFORE_EIGHT).claimed == 0
            assert twilio.received == []
            morning = dispatch_due(engine, settings, EIGHT)
            assert morning.sent == 3
            assert twilio.per_message() == dict.fromkeys(sms_ids, 1)
        rows = {m.id: m for m in _rows(engine)}
        assert {rows[i].attempts for i in sms_ids} == {1}
        assert {rows[i].status for i in email_ids} == {S.DELIVERED}

    def test_texts_to_professionals_are_not_held(self, engine: Engine, tmp_path: Path) -> None:
        """Quiet hours protect families; a social worker's text goes at once."""
        with unit_of_work(engine) as session:
            contact, case_id = create_family(session, 1, mobile="+447700900001")
            draft = draft_for(1, contact, case_id, "sms")
            professional = replace(draft, recipient_role="social_worker", recipient_ref=None)
            queue(session, [professional], EVENING)
        assert dispatch_due(engine, loopback_settings(tmp_path), EVENING).sent == 1


@pytest.mark.slow
def test_letters_become_pdfs_with_a_task_to_post_them(engine: Engine, tmp_path: Path) -> None:
    """A letter message: PDF on disk, a letters row with its hash, a task for the office."""
    with unit_of_work(engine) as session:
        contact, case_id = create_family(session, 1, mobile=None, email=None)
        (message,) = queue(session, [draft_for(1, contact, case_id, "letter")], MORNING)
    settings = loopback_settings(tmp_path)
    stats = dispatch_due(engine, settings, MORNING)
    assert (stats.letters, stats.claimed) == (1, 1)
    with unit_of_work(engine) as session:
        letter = session.exec(select(Letter)).one()
        task = session.exec(select(Task)).one()
        row = session.get(Message, message.id)
        assert row is not None
    assert letter.path == f"letters/message-{message.id}.pdf"  # relative to the var folder
    pdf = tmp_path / str(letter.path)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (letter.key, letter.status, len(letter.sha256 or "")) == (
        message.idempotency_key,
        "rendered",
        64,
    )
    assert (task.kind, task.owner_role, task.due_date) == (
        "letter_to_post",
        "school_office",
        message.school_date,
    )
    assert (row.status, row.provider) == (S.SENT, "letters")
    assert _kinds(engine)[-3:] == ["letter.rendered", "task.created", "message.sent"]
    assert dispatch_due(engine, settings, MORNING + timedelta(hours=1)).letters == 0


@pytest.mark.slow
def test_texts_and_emails_go_before_letters_queued_earlier(engine: Engine, tmp_path: Path) -> None:
    """A first-day text is for this morning: a letter queued before it does not hold it up,
    and a run limited to texts and emails (the sweep's own) leaves the letter for later."""
    with unit_of_work(engine) as session:
        contact, case_id = create_family(session, 1, mobile=None, email=None)
        (letter,) = queue(session, [draft_for(1, contact, case_id, "letter")], MORNING)
    (text,) = seed_family_messages(engine, 1, "sms", start=2)
    (email,) = seed_family_messages(engine, 1, "email", start=3)
    assert letter.id is not None
    assert letter.id < text < email
    settings = loopback_settings(tmp_path)

    first = dispatch_due(engine, settings, MORNING, limit=1)
    assert (first.claimed, first.sent, first.letters) == (1, 1, 0)
    sends_only = dispatch_due(engine, settings, MORNING, channels=["sms", "email"])
    assert (sends_only.claimed, sends_only.sent, sends_only.letters) == (1, 1, 0)
    statuses = {m.id: (m.channel, m.status) for m in _rows(engine)}
    assert statuses[letter.id] == ("letter", S.QUEUED)
    assert statuses[text][1] != S.QUEUED
    assert statuses[email][1] != S.QUEUED

    rest = dispatch_due(engine, settings, MORNING)
    assert (rest.claimed, rest.letters) == (1, 1)


def test_the_next_chunk_is_claimed_while_this_one_is_sent(engine: Engine, tmp_path: Path) -> None:
    """While the first chunk's first text is with the provider, the second chunk is already
    claimed (nothing is left queued): the claim's commit overlaps the sending instead of pausing
    it. Every text is still sent once."""
    import threading

    from notifications.dispatch import CHUNK, Providers, run_dispatch

    seed_family_messages(engine, CHUNK + 10, "sms")
    settings = loopback_settings(tmp_path)
    seen_queued: list[int] = []
    first = threading.Lock()

    class Watching(FileOutbox):
        def send(self, message):  # type: ignore[no-untyped-def]
            if first.acquire(blocking=False):  # the first send waits for the claim ahead
                for _ in range(100):
                    with unit_of_work(engine) as session:
                        rows = session.exec(select(Message.status)).all()
                    seen_queued.append(sum(status == S.QUEUED for status in rows))
                    if seen_queued[-1] == 0:
                        break
                    threading.Event().wait(0.05)
            return super().send(message)

    def providers(_: object) -> Providers:
        outbox = Watching(settings.outbox_dir, settings.smtp_from)
        return Providers(sms=outbox, email=outbox, ledger=outbox)

    stats = run_dispatch(engine, settings, MORNING, limit=1000, providers=providers)

    assert seen_queued[-1] == 0  # both chunks claimed before the first text left
    assert (stats.claimed, stats.sent) == (CHUNK + 10, CHUNK + 10)
    assert {m.status for m in _rows(engine)} <= {S.SENT, S.DELIVERED}
    assert len(list(settings.outbox_dir.iterdir())) == CHUNK + 10
