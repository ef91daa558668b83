"""The Prefect path of `pathway sweep`, `simulate` and `demo`: the flows run with the CLI's runtime.

`casework.service.sweeping.orchestration` finds `PrefectOrchestrator` through the
`attendance_pathway.orchestrators` entry point (pyproject.toml), so that casework never imports
flows (docs/decisions/0007). The flows are imported inside each method because importing Prefect
costs seconds, and `configure_prefect_env` must run before it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.core.policy import Policy
from casework.service.progress import SILENT, Progress
from casework.service.sweeping.sweep import SchoolSweepResult
from casework.settings import Settings
from flows.runtime import Runtime, configure_prefect_env, use_runtime


class PrefectOrchestrator:
    """Runs a sweep or a replay as a Prefect flow run, with the caller's runtime handed over."""

    def sweep(
        self,
        settings: Settings,
        engine: Engine,
        school_date: date,
        session: RegisterSession,
        *,
        policy: Policy,
        now: datetime,
    ) -> list[SchoolSweepResult]:
        configure_prefect_env(settings)
        from flows.daily_sweep import daily_sweep  # deferred: importing prefect takes seconds

        with use_runtime(Runtime(settings, engine, policy, fixed_now=now)):
            return daily_sweep(school_date=school_date.isoformat(), session=str(session))

    def simulate(
        self,
        settings: Settings,
        engine: Engine,
        start: date,
        end: date,
        *,
        policy: Policy,
        progress: Progress = SILENT,
    ) -> list[SchoolSweepResult]:
        configure_prefect_env(settings)
        from flows.simulate import simulate as simulate_flow  # deferred, as above

        with use_runtime(Runtime(settings, engine, policy, progress=progress)):
            return simulate_flow(start=start.isoformat(), end=end.isoformat())
