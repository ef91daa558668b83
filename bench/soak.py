"""`make soak`: crashes, an outage and two officers at once, against real servers; then counts.

Against PostgreSQL and the loopback Twilio and SMTP servers (nothing leaves the machine):

1. the sweep is SIGKILLed at random points (at least `--kills` times) and run again, and its
   database compared with an undisturbed reference (bench/soak_sweep.py);
2. the dispatcher is SIGKILLed at random points (at least `--kills` times), Twilio and the
   relay are taken down for a simulated hour, and every outbox message counted at the servers
   (bench/soak_dispatch.py);
3. decisions and task writes are raced from two threads (bench/soak_race.py).

It prints the counts and exits 1 if anything was lost, duplicated or contradictory. The clock is
simulated (`pathway dispatch --now`), so the hour-long outage takes seconds, not an hour.

    .venv/bin/python -m bench.soak [--kills 20] [--seed 18] [--rounds 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.soak_dispatch import DispatchSoak, soak_dispatch
from bench.soak_race import RaceSoak, race
from bench.soak_sweep import SweepSoak, import_la, soak_sweeps
from casework.db.migrate import upgrade
from casework.db.session import dispose_engines, get_engine
from tests.conftest import create_postgres_database, drop_postgres_database

START = datetime(2025, 9, 8, 7, 0, tzinfo=UTC)  # 08:00 London, a Monday in term


def _database() -> str:
    url = create_postgres_database()
    upgrade(url)
    return url


def _env(url: str, var_dir: Path) -> dict[str, str]:
    var_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "PATHWAY_DATABASE_URL": url,
        "PATHWAY_VAR_DIR": str(var_dir),
        "PATHWAY_ORCHESTRATOR": "inline",
        "PATHWAY_SWEEP_WORKERS": "1",
    }


def _print(sweep: SweepSoak, dispatch: DispatchSoak, raced: RaceSoak) -> None:
    print("sweep:    " + ", ".join(f"{k} {v}" for k, v in asdict(sweep).items()))
    print("dispatch: " + ", ".join(f"{k} {v}" for k, v in asdict(dispatch).items()))
    print("race:     " + ", ".join(f"{k} {v}" for k, v in asdict(raced).items()))
    print(
        f"kills survived: {sweep.kills + dispatch.kills} "
        f"(sweep {sweep.kills}, dispatch {dispatch.kills}); "
        f"messages queued {dispatch.queued}, sent {dispatch.sent}, "
        f"received by the loopback servers {dispatch.received}, "
        f"lost {dispatch.lost + sweep.lost}, duplicated {dispatch.duplicated + sweep.duplicated}; "
        f"concurrent writes tried {raced.tried}, refused {raced.refused}, "
        f"contradictory {raced.contradictions}; outage minutes ridden out {dispatch.outage_minutes}"
    )


def _failures(sweep: SweepSoak, dispatch: DispatchSoak, raced: RaceSoak, kills: int) -> list[str]:
    problems = []
    if sweep.lost or dispatch.lost:
        problems.append(f"lost: sweep {sweep.lost}, dispatch {dispatch.lost}")
    if sweep.duplicated or dispatch.duplicated:
        problems.append(f"duplicated: sweep {sweep.duplicated}, dispatch {dispatch.duplicated}")
    if raced.contradictions or raced.failed:
        problems.append(f"contradictory writes {raced.contradictions}, failed {raced.failed}")
    if min(sweep.kills, dispatch.kills) < kills:
        problems.append(f"too few kills landed (sweep {sweep.kills}, dispatch {dispatch.kills})")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs each of sweep, dispatch")
    parser.add_argument("--seed", type=int, default=18, help="random seed for the kill points")
    parser.add_argument("--rounds", type=int, default=10, help="raced pairs of each kind")
    parser.add_argument("--pupils", type=int, default=240, help="pupils in the swept LA")
    args = parser.parse_args(argv)
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's deprecation chatter
    rng = random.Random(args.seed)
    urls = [_database() for _ in range(4)]  # sweep, its reference, outbox, race
    try:
        with tempfile.TemporaryDirectory(prefix="pathway-soak-") as tmp:
            folder = Path(tmp)
            soak, reference, outbox, racing = (get_engine(url) for url in urls)
            import_la([soak, reference], folder / "la", args.pupils, args.seed)
            sweep = soak_sweeps(soak, reference, _env(urls[0], folder / "sweep"), args.kills, rng)
            print(f"sweep phase done ({sweep.kills} kills); dispatch phase next", flush=True)
            env = _env(urls[2], folder / "dispatch")
            dispatch = soak_dispatch(outbox, env, START, args.kills, rng)
            raced = race(racing, args.rounds)
    finally:
        dispose_engines()
        for url in urls:
            drop_postgres_database(url)
    _print(sweep, dispatch, raced)
    problems = _failures(sweep, dispatch, raced, args.kills)
    for problem in problems:
        print(f"SOAK FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
