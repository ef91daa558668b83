"""How a sweep or a replay runs: in this process, or as a Prefect flow run (docs/orchestration.md).

`Settings.orchestrator` chooses: `inline` never uses Prefect, `prefect` always does, `auto` does
when `PREFECT_API_URL` names a server. The Prefect path lives in `flows/orchestrator.py`, beside
the Prefect runtime it owns (`flows/runtime.py`). Casework reaches it through the
`attendance_pathway.orchestrators` entry point named in pyproject.toml rather than by importing
flows, so the layers stay one-way (docs/decisions/0007).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from importlib.metadata import entry_points
from typing import Literal, Protocol

from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.core.policy import Policy
from casework.service.progress import SILENT, Progress
from casework.service.sweeping.sweep import SchoolSweepResult, run_sweep, simulate
from casework.settings import Settings

Mode = Literal["auto", "prefect", "inline"]
ENTRY_POINT_GROUP = "attendance_pathway.orchestrators"


class Orchestrator(Protocol):
    """What runs sweeps outside this process (flows.orchestrator.PrefectOrchestrator)."""

    def sweep(
        self,
        settings: Settings,
        engine: Engine,
        school_date: date,
        session: RegisterSession,
        *,
        policy: Policy,
        now: datetime,
    ) -> list[SchoolSweepResult]: ...

    def simulate(
        self,
        settings: Settings,
        engine: Engine,
        start: date,
        end: date,
        *,
        policy: Policy,
        progress: Progress = SILENT,
    ) -> list[SchoolSweepResult]: ...


def has_prefect_server() -> bool:
    """Whether the environment names a running Prefect server (rather than an ephemeral one)."""
    return bool(os.environ.get("PREFECT_API_URL", "").strip())


def uses_prefect(settings: Settings, mode: Mode | None = None) -> bool:
    """Whether a sweep should go through the Prefect flow, for this mode or the configured one."""
    chosen = mode or settings.orchestrator
    if chosen == "auto":
        return has_prefect_server()
    return chosen == "prefect"


def load_orchestrator(name: str = "prefect") -> Orchestrator:
    """The orchestrator registered under `name`; a clear error when the package lacks it."""
    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        raise RuntimeError(
            f"no orchestrator '{name}' is registered ({ENTRY_POINT_GROUP}): "
            "install the project (`make venv`) so its entry points exist"
        )
    factory = next(iter(found)).load()
    orchestrator: Orchestrator = factory()
    return orchestrator


def run_sweep_orchestrated(
    settings: Settings,
    engine: Engine,
    school_date: date,
    session: RegisterSession,
    *,
    policy: Policy,
    now: datetime,
    mode: Mode | None = None,
) -> list[SchoolSweepResult]:
    """Sweep one session of one day, through the `daily-sweep` flow or in-process.

    Args:
        mode: `auto`, `prefect` or `inline`; None means `settings.orchestrator`.
    """
    if not uses_prefect(settings, mode):
        return run_sweep(
            engine, school_date, session, policy=policy, now=now, workers=settings.sweep_workers
        )
    return load_orchestrator().sweep(settings, engine, school_date, session, policy=policy, now=now)


def run_simulate_orchestrated(
    settings: Settings,
    engine: Engine,
    start: date,
    end: date,
    *,
    policy: Policy,
    mode: Mode | None = None,
    progress: Progress = SILENT,
) -> list[SchoolSweepResult]:
    """Every school day's AM and PM sweep from start to end, as one flow run or in-process;
    `progress` hears each day done."""
    if not uses_prefect(settings, mode):
        return simulate(engine, start, end, policy=policy, progress=progress)
    return load_orchestrator().simulate(
        settings, engine, start, end, policy=policy, progress=progress
    )
