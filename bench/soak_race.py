"""Two officers at once: the same human write raced from two threads, many times over.

Each round starts two writers at a barrier on one row: a home-visit task completed as
`child_seen` and as `child_not_seen`; a task acknowledged twice; a penalty-notice decision
approved and declined. Exactly one of each pair may be recorded; the other must be refused
and write nothing. The verdict is read back from the audit trail, not from what the calls
returned: two `task.completed` entries for one task, two acknowledgements, or both
`decision.approved` and `decision.declined` for one decision are contradictions.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.service.legal.decisions import decide_with_outcome
from casework.service.tasks.actions import acknowledge_task, complete_task
from tests.web_factories import (
    TODAY,
    create_contact,
    create_decision,
    create_pupil,
    create_school,
    create_task,
)

FACTORS = {
    "support_offered": "attendance plan since September",
    "support_engaged": "meetings not attended",
    "send_or_medical": "none known",
    "welfare_safeguarding": "no concerns",
    "social_care": "not involved",
}


@dataclass(frozen=True)
class RaceSoak:
    tried: int  # pairs of concurrent writes
    refused: int  # second writes refused (nothing written)
    contradictions: int  # both writes of a pair recorded
    failed: int  # pairs where neither write was recorded (an error, not a refusal)


def _pair(first: Callable[[], None], second: Callable[[], None]) -> int:
    """Run both at once; how many returned without an exception."""
    barrier = threading.Barrier(2)
    done: list[bool] = []

    def run(write: Callable[[], None]) -> None:
        barrier.wait()
        try:
            write()
        except Exception:  # a refusal, or a database error: either way nothing is recorded
            done.append(False)
        else:
            done.append(True)

    threads = [threading.Thread(target=run, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sum(done)


def _recorded(engine: Engine, kind: str, key: str, value: int) -> int:
    query = sa.text("SELECT detail FROM audit_entries WHERE kind = :kind")
    with engine.connect() as conn:
        details = conn.execute(query, {"kind": kind}).scalars()
        return sum(1 for d in details if d.get(key) == value)


def _rounds(engine: Engine, rounds: int) -> list[tuple[str, int, int]]:
    """(what, row id, writes recorded by the calls) for every raced pair."""
    now, results = datetime.now(UTC), []
    for _ in range(rounds):
        pupil = create_pupil(engine)
        create_contact(engine, pupil)
        task = create_task(engine, pupil)
        task_id = task.id or 0

        def complete(outcome: str, task_id: int = task_id) -> Callable[[], None]:
            return lambda: complete_task(
                engine, task_id, outcome=outcome, actor="cli", on=TODAY, now=now
            )

        results.append(
            ("complete", task_id, _pair(complete("child_seen"), complete("child_not_seen")))
        )
        ack_id = create_task(engine, pupil).id or 0
        ack = lambda ack_id=ack_id: acknowledge_task(  # noqa: E731 - one line per writer
            engine, ack_id, actor="cli", on=TODAY, now=now
        )
        results.append(("ack", ack_id, _pair(ack, ack)))
        decision_id = create_decision(engine, pupil).id or 0

        def decide(approve: bool, decision_id: int = decision_id) -> Callable[[], None]:
            def write() -> None:
                decide_with_outcome(
                    engine,
                    decision_id,
                    approve=approve,
                    reason="weighed",
                    actor="cli",
                    on=TODAY,
                    now=now,
                    factors=FACTORS,
                    confirm_gaps=True,  # recorded either way (rule 39)
                )

            return write

        results.append(("decide", decision_id, _pair(decide(True), decide(False))))
    return results


def _audited(engine: Engine, what: str, row_id: int) -> int:
    """How many of the pair's writes the audit trail holds."""
    if what == "complete":
        return _recorded(engine, "task.completed", "task_id", row_id)
    if what == "ack":
        return _recorded(engine, "task.acknowledged", "task_id", row_id)
    return _recorded(engine, "decision.approved", "decision_id", row_id) + _recorded(
        engine, "decision.declined", "decision_id", row_id
    )


def race(engine: Engine, rounds: int) -> RaceSoak:
    """Race every kind of pair `rounds` times and judge each from the audit trail."""
    create_school(engine)
    verdicts: Counter[str] = Counter()
    for what, row_id, _returned in _rounds(engine, rounds):
        recorded = _audited(engine, what, row_id)
        verdicts["contradiction" if recorded > 1 else "refused" if recorded == 1 else "failed"] += 1
    tried = sum(verdicts.values())
    return RaceSoak(tried, verdicts["refused"], verdicts["contradiction"], verdicts["failed"])
