"""A hard bounce asks the school office to fix the address, and nothing more goes to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.db.session import unit_of_work
from casework.db.tables import Message, Task
from notifications.bounces import NOT_SENT
from notifications.dispatch import dispatch_due
from notifications.messages import MessageStatus
from notifications.simulator import simulator_number
from tests.support.outbox_data import MORNING, create_family, draft_for, queue
from tests.support.settings import loopback_settings

S = MessageStatus


def test_a_bounced_number_opens_one_task_and_gets_no_more_texts(
    engine: Engine, tmp_path: Path
) -> None:
    bad = simulator_number(1, S.PERMANENT_FAILURE)
    with unit_of_work(engine) as session:
        contact, case_id = create_family(session, 0, mobile=bad, email="p0@simulator.invalid")
        first = draft_for(0, contact, case_id, "sms")
        queue(session, [first], MORNING)
    settings = loopback_settings(tmp_path)
    dispatch_due(engine, settings, MORNING)

    later = MORNING + timedelta(days=1)
    with unit_of_work(engine) as session:
        again = replace(first, idempotency_key=first.idempotency_key + ":next-day")
        queue(session, [again], later)
    dispatch_due(engine, settings, later)

    with unit_of_work(engine) as session:
        texts = list(
            session.exec(select(Message).where(Message.channel == "sms").order_by(col(Message.id)))
        )
        tasks = list(session.exec(select(Task).where(Task.kind == "fix_contact")))
    assert [t.status for t in texts] == [S.PERMANENT_FAILURE, S.PERMANENT_FAILURE]
    assert texts[1].last_error == NOT_SENT
    sent_files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert f"{texts[1].id}-sms.txt" not in sent_files  # never handed to a provider
    assert f"{texts[0].id}-sms.txt" in sent_files
    assert len(tasks) == 1
    assert tasks[0].owner_role == "school_office"
    assert tasks[0].context == {"contact_id": contact.contact_id, "channel": "sms", "address": bad}
