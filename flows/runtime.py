"""The Prefect runtime: environment defaults, what a flow needs from the shell, and the runner.

Three pieces. `configure_prefect_env` puts the project's Prefect defaults into the environment;
Prefect reads its settings once, when it is first imported, so this must run before anything
imports `prefect`. `Runtime` is what a flow needs from the shell (settings, a migrated engine, the
policy, the clock): a deployment run builds it from the environment, while an in-process call
from the CLI hands over its own with `use_runtime`, because flows take only URNs, dates and
session strings as parameters. `flows/orchestrator.py` hands it over when the CLI runs a flow.

Nothing here imports Prefect at module level: `import prefect` costs seconds, and the inline path
and the web app never need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from casework.core.policy import Policy, load_policy
from casework.db.database import open_database
from casework.service.progress import SILENT, Progress
from casework.settings import Settings

# STACK.md §3.1 and §9: these batch sizes cut Prefect server CPU per 1000 task runs about fourfold;
# analytics off because offline machines otherwise log DNS failures; 120 s because a fresh
# ephemeral server migrates its database for longer than Prefect's default 20 s.
PREFECT_DEFAULTS: Mapping[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "500",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_READ_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TRIGGERS_READ_BATCH_SIZE": "100",
}


def configure_prefect_env(settings: Settings, *, quiet: bool = True) -> None:
    """Set Prefect's environment defaults (never overriding what is already set).

    Args:
        quiet: log Prefect at WARNING, as the CLI wants; a worker or `serve` process keeps INFO.
    """
    if "PREFECT_HOME" not in os.environ:
        home = (settings.var_dir / "prefect").resolve()
        home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level itself
        os.environ["PREFECT_HOME"] = str(home)
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@dataclass(frozen=True)
class Runtime:
    """What a flow needs from the shell; `fixed_now` pins the clock for replays and tests."""

    settings: Settings
    engine: Engine
    policy: Policy
    fixed_now: datetime | None = None
    progress: Progress = SILENT  # the CLI's display for a replay; flows run alone hear nothing

    def now(self) -> datetime:
        return self.fixed_now or datetime.now(UTC)

    def school_date(self, value: str | None) -> date:
        """An ISO date parameter, or today in the LA's timezone (Europe/London) when None."""
        if value:
            return date.fromisoformat(value)
        return self.now().astimezone(self.settings.tz).date()


_current: ContextVar[Runtime | None] = ContextVar("pathway_runtime", default=None)


def open_runtime() -> Runtime:
    """The runtime handed over by `use_runtime`, else one built from `PATHWAY_*` (a deployment)."""
    handed_over = _current.get()
    if handed_over is not None:
        return handed_over
    settings = Settings()
    # open_database and get_engine cache per URL, so calling this per task is cheap.
    return Runtime(settings, open_database(settings), load_policy(settings.policy_file))


@contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Run flows in this block with the caller's settings, engine, policy and clock."""
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)
