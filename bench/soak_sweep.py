"""The sweep under SIGKILL: each session's `pathway sweep` killed mid-run, then run again.

A synthetic LA is imported twice, into the soak database and into a reference database. The
reference sweeps every session once, in-process and undisturbed; the soak kills each session's
`pathway sweep` at a random point (often just after a school's transaction committed, so the
next school is mid-write) and then runs it again to the end. Afterwards both databases must hold
the same stage entries, tasks, decisions and messages (by idempotency key) and the same number
of audit entries of each kind: anything missing was lost, anything extra was done twice.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from bench.soak_kill import run_and_kill, run_to_end
from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.seed import write_synthetic_la
from casework.service.importing.files import KINDS, import_file
from casework.service.sweeping.sweep import run_sweep
from casework.settings import LONDON

START = date(2025, 9, 8)  # a Monday in the autumn term
KEYED = {"stage_entries": "key", "tasks": "key", "decisions": "key", "messages": "idempotency_key"}


@dataclass(frozen=True)
class SweepSoak:
    sessions: int
    kills: int
    lost: int  # rows or audit entries the reference has and the soak does not
    duplicated: int  # the reverse: done twice (or done when it should not have been)


def import_la(engines: list[Engine], folder: Path, pupils: int, seed: int) -> None:
    """Write a small synthetic LA and import its five files into each database."""
    write_synthetic_la(
        folder, schools=4, pupils=pupils, start=START, end=START + timedelta(days=40), seed=seed
    )
    now = datetime.now(UTC)
    for engine in engines:
        for kind in KINDS:
            import_file(
                engine, kind, folder / f"{kind}.csv", reports_dir=folder, tz=LONDON, now=now
            )


def head_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM audit_entries").scalar_one()
        )


def _school_sessions(count: int) -> list[tuple[date, RegisterSession]]:
    days = [START + timedelta(days=n) for n in range(60)]
    weekdays = [d for d in days if d.weekday() < 5]
    return [(d, s) for d in weekdays for s in (RegisterSession.AM, RegisterSession.PM)][:count]


def _contents(engine: Engine) -> tuple[Counter[str], Counter[str]]:
    """(table:key per row, audit kind per entry) of what the sweeps made."""
    keys: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    with engine.connect() as conn:
        for table, column in KEYED.items():
            keys.update(
                f"{table}:{k}"
                for k in conn.exec_driver_sql(f"SELECT {column} FROM {table}").scalars()
            )
        kinds.update(conn.exec_driver_sql("SELECT kind FROM audit_entries").scalars())
    return keys, kinds


def compare(soak: Engine, reference: Engine) -> tuple[int, int]:
    """(lost, duplicated) between the soak database and the undisturbed reference."""
    soak_keys, soak_kinds = _contents(soak)
    ref_keys, ref_kinds = _contents(reference)
    lost = sum((ref_keys - soak_keys).values()) + sum((ref_kinds - soak_kinds).values())
    extra = sum((soak_keys - ref_keys).values()) + sum((soak_kinds - ref_kinds).values())
    return lost, extra


def soak_sweeps(
    soak: Engine, reference: Engine, env: Mapping[str, str], kills: int, rng: random.Random
) -> SweepSoak:
    """Kill each session's sweep once at a random point until `kills` landed; then compare."""
    policy = load_policy()
    landed = sessions = 0
    for day, session in _school_sessions(kills * 3):  # bounded: a third of tries may miss
        if landed >= kills:
            break
        sessions += 1
        run_sweep(reference, day, session, policy=policy, now=datetime.now(UTC))
        args = ["sweep", "--date", day.isoformat(), "--session", str(session)]
        before = head_seq(soak)
        wait_for_commit = rng.random() < 0.6

        def fire(before: int = before, wait_for_commit: bool = wait_for_commit) -> bool:
            return wait_for_commit and head_seq(soak) > before

        landed += run_and_kill(args, env, fire, rng.uniform(1.0, 6.0), rng)
        run_to_end(args, env)
    lost, duplicated = compare(soak, reference)
    return SweepSoak(sessions, landed, lost, duplicated)
