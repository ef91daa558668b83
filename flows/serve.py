"""Serve every deployment of prefect.yaml from one process: scheduled running on one machine.

`python -m flows.serve`, run from the checkout next to a `prefect server start`, registers the
deployments with the same names, parameters, cron schedules (Europe/London) and concurrency limits
as `prefect deploy` would, and runs their flow runs as subprocesses; no work pool or worker is
needed (docs/orchestration.md, "Laptop: scheduled running"). prefect.yaml stays the one place
the schedules are written down.

Prefect is imported only inside the functions, after `configure_prefect_env`, because it reads
its settings once, on first import.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from casework.settings import Settings
from flows.runtime import configure_prefect_env

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

PREFECT_YAML = Path(__file__).resolve().parents[1] / "prefect.yaml"


def _flow_of(entrypoint: str) -> Any:
    """`flows/daily_sweep.py:daily_sweep` -> the Flow object, imported as a normal module."""
    path, name = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def runner_deployments(spec_path: Path = PREFECT_YAML) -> list[RunnerDeployment]:
    """The deployments of prefect.yaml, built for `serve` instead of a work pool."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.schedules import Cron

    spec: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    built: list[RunnerDeployment] = []
    for item in spec["deployments"]:
        limit = item.get("concurrency_limit")
        built.append(
            _flow_of(item["entrypoint"]).to_deployment(
                name=item["name"],
                description=item.get("description"),
                tags=item.get("tags"),
                parameters=item.get("parameters"),
                schedules=[Cron(s["cron"], timezone=s["timezone"]) for s in item["schedules"]],
                concurrency_limit=ConcurrencyLimitConfig(**limit) if limit else None,
            )
        )
    return built


def main() -> None:
    """Serve until interrupted; the schedules pause when this process stops."""
    configure_prefect_env(Settings(), quiet=False)
    from prefect import serve

    serve(*runner_deployments())


if __name__ == "__main__":
    main()
