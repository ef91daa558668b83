"""prefect.yaml is valid as Prefect reads it, and every deployment points at a real flow.

Checked without a server: the file parses with Prefect's own model, each entrypoint imports and
resolves to a Flow whose parameters accept the deployment's, every cron is valid and on London
time (and stays at the same wall-clock time across the change from BST to GMT). Prefect is
imported inside the tests, after `isolate_prefect_env`, so it never touches ~/.prefect.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.orchestration_data import isolate_prefect_env

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in SPEC["deployments"]}
SCHEDULES = [
    pytest.param(d, s, id=f"{d['name']}:{s['cron']}")
    for d in SPEC["deployments"]
    for s in d.get("schedules", [])
]


@pytest.fixture(autouse=True, scope="module")
def _prefect_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    isolate_prefect_env(tmp_path_factory.getbasetemp())


def _flow(entrypoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from prefect.flows import Flow, load_flow_from_entrypoint

    monkeypatch.chdir(ROOT)  # entrypoints are relative to the project root, as for `prefect deploy`
    flow: Flow[..., Any] = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
    assert isinstance(flow, Flow)
    return flow


def test_file_validates_with_prefects_own_model() -> None:
    """`prefect deploy` reads the file with this model; it must accept every deployment."""
    from prefect.cli.deploy._models import PrefectYamlModel

    model = PrefectYamlModel.model_validate(SPEC)
    assert {d.name for d in model.deployments} == {
        "daily-sweep-am",
        "daily-sweep-pm",
        "dispatch",
        "deadlines",
        "weekly-report",
    }


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_resolves_to_a_flow_accepting_the_parameters(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each entrypoint imports, is a Flow, and validates the deployment's parameters."""
    deployment = DEPLOYMENTS[name]
    flow = _flow(deployment["entrypoint"], monkeypatch)
    flow.validate_parameters(deployment.get("parameters") or {})


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_flow_parameters_are_plain_values_never_records(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flow parameters are stored and shown by Prefect: URNs, dates, sessions, counts and
    switches only."""
    from prefect.utilities.callables import parameter_schema

    flow = _flow(DEPLOYMENTS[name]["entrypoint"], monkeypatch)
    properties = parameter_schema(flow.fn).model_dump()["properties"]
    for prop in properties.values():
        variants = prop.get("anyOf", [prop])
        types = {t.get("type") for t in variants}
        items = {t.get("items", {}).get("type") for t in variants} - {None}
        assert types <= {"string", "integer", "boolean", "array", "null"}, prop
        assert items <= {"string"}, prop


@pytest.mark.parametrize(("deployment", "schedule"), SCHEDULES)
def test_every_schedule_is_a_valid_cron_on_london_time(
    deployment: dict[str, Any], schedule: dict[str, Any]
) -> None:
    """A cron without a timezone would run in UTC, an hour late all summer."""
    from prefect.client.schemas.schedules import CronSchedule

    assert schedule["timezone"] == "Europe/London"
    CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])


def test_morning_sweep_keeps_its_wall_clock_time_across_the_clock_change() -> None:
    """Friday 24 Oct 2025 is BST, Monday 27 Oct GMT: both sweeps run at 09:40 in London."""
    from prefect.server.schemas.schedules import CronSchedule

    cron = DEPLOYMENTS["daily-sweep-am"]["schedules"][0]["cron"]
    schedule = CronSchedule(cron=cron, timezone="Europe/London")
    dates = asyncio.run(schedule.get_dates(n=2, start=datetime(2025, 10, 23, 12, tzinfo=UTC)))
    assert [d.astimezone(UTC).strftime("%a %H:%M") for d in dates] == ["Fri 08:40", "Mon 09:40"]


@pytest.mark.parametrize("name", ["daily-sweep-am", "daily-sweep-pm"])
def test_sweeps_never_overlap(name: str) -> None:
    """A second sweep of the same deployment starting while one runs is cancelled, not queued."""
    assert DEPLOYMENTS[name]["concurrency_limit"] == {
        "limit": 1,
        "collision_strategy": "CANCEL_NEW",
    }


def test_sweep_deployments_cover_both_sessions() -> None:
    """One deployment per register session, each passing its session to the same flow."""
    sweeps = [DEPLOYMENTS[n] for n in ("daily-sweep-am", "daily-sweep-pm")]
    assert {d["parameters"]["session"] for d in sweeps} == {"AM", "PM"}
    assert {d["entrypoint"] for d in sweeps} == {"flows/daily_sweep.py:daily_sweep"}


def test_every_deployment_runs_on_the_process_pool_from_the_code_dir() -> None:
    """Workers take the code from PATHWAY_CODE_DIR; nothing is built or pushed."""
    assert {d["work_pool"]["name"] for d in SPEC["deployments"]} == {"pathway-process"}
    assert (SPEC["build"], SPEC["push"]) == (None, None)
    assert SPEC["pull"] == [
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ $PATHWAY_CODE_DIR }}"
            }
        }
    ]


def test_serve_builds_the_same_deployments_as_prefect_yaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`python -m flows.serve` (one machine) schedules exactly what `prefect deploy` would."""
    from flows.serve import runner_deployments

    monkeypatch.chdir(ROOT)
    served: dict[str, Any] = {d.name: d for d in runner_deployments()}

    assert sorted(served) == sorted(DEPLOYMENTS)
    for name, spec in DEPLOYMENTS.items():
        deployment = served[name]
        assert deployment.entrypoint == spec["entrypoint"]
        assert deployment.parameters == (spec.get("parameters") or {})
        assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
            (s["cron"], s["timezone"]) for s in spec["schedules"]
        ]
        limit = spec.get("concurrency_limit")
        assert deployment.concurrency_limit == (limit["limit"] if limit else None)
