"""The flows against one real Prefect test server (session-scoped) and a real app database.

Starting the server costs 20–60 s on two cores, so every flow-level test lives in this module and
shares it. Each test builds its own app database from the shared first-day-call scenario.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from casework.core.calendar import RegisterSession
from casework.core.policy import load_policy
from casework.db.database import open_database
from casework.db.migrate import upgrade
from casework.service.sweeping.orchestration import (
    run_simulate_orchestrated,
    run_sweep_orchestrated,
)
from casework.service.sweeping.sweep import SchoolSweepResult, run_sweep, sweep_school
from casework.settings import Settings
from flows.runtime import Runtime, use_runtime
from tests.integration.orchestration_data import (
    FIRST_DAY_CALL,
    HALF_TERM_TUESDAY,
    MONDAY,
    SATURDAY,
    action_counts,
    import_scenario,
    isolate_prefect_env,
    stage_entries,
    write_synthetic_la,
)

SWEPT_AT = datetime(2025, 9, 8, 8, 40, tzinfo=UTC)  # 09:40 in London, after the AM register closed
ABSENT = "C931400125001"  # N on Monday AM; the other two pupils are present or explained


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test server for the whole session (STACK.md §5)."""
    isolate_prefect_env(tmp_path_factory.getbasetemp())
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=url)


def _scenario_db(tmp_path: Path, url: str) -> tuple[Settings, Engine]:
    settings = _settings(tmp_path, url)
    engine = open_database(settings)
    import_scenario(engine, FIRST_DAY_CALL, tmp_path / "reports")
    return settings, engine


def _second_sqlite_db(tmp_path: Path) -> tuple[Settings, Engine]:
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    return _scenario_db(tmp_path / "reference", url)


def _flow_runs_named(name: str) -> int:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))
    return len(runs)


def _sweep_school_in_a_child_process(*args: Any, **kwargs: Any) -> SchoolSweepResult:
    """`sweep_school`, refusing to run in a process that multiprocessing did not start."""
    if multiprocessing.parent_process() is None:
        raise AssertionError("a school was swept in the flow's own process")
    return sweep_school(*args, **kwargs)


@pytest.mark.usefixtures("prefect_server")
class TestDailySweepFlow:
    def test_sweep_through_prefect_acts_once_when_run_twice(
        self, tmp_path: Path, database_url: str
    ) -> None:
        """The flow opens one first-day call for the unexplained absence; a rerun adds nothing."""
        settings, engine = _scenario_db(tmp_path, database_url)
        policy = load_policy(None)

        first = run_sweep_orchestrated(
            settings,
            engine,
            MONDAY,
            RegisterSession.AM,
            policy=policy,
            now=SWEPT_AT,
            mode="prefect",
        )
        after_first = action_counts(engine)
        again = run_sweep_orchestrated(
            settings,
            engine,
            MONDAY,
            RegisterSession.AM,
            policy=policy,
            now=SWEPT_AT,
            mode="prefect",
        )

        assert [(r.urn, r.skipped, r.pupils) for r in first] == [("100001", False, 3)]
        assert stage_entries(engine) == [(ABSENT, "first_day_call", MONDAY)]
        with engine.connect() as conn:
            tasks = conn.execute(sa.text("SELECT upn, kind, due_date FROM tasks")).all()
            messages = conn.execute(sa.text("SELECT DISTINCT upn, status FROM messages")).all()
        assert [(t.upn, t.kind) for t in tasks] == [(ABSENT, "call_parent")]
        assert [(m.upn, m.status) for m in messages] == [(ABSENT, "queued")]
        assert [r.skipped for r in again] == [True]
        assert action_counts(engine) == after_first

    def test_deployment_style_run_matches_in_process_sweep(
        self, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """As a deployment runs it (settings from PATHWAY_*), the flow does what run_sweep does."""
        from flows.daily_sweep import daily_sweep

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        _, reference = _second_sqlite_db(tmp_path)
        monkeypatch.setenv("PATHWAY_DATABASE_URL", settings.effective_database_url)
        monkeypatch.setenv("PATHWAY_VAR_DIR", str(settings.var_dir))

        results = daily_sweep(school_date=MONDAY.isoformat(), session="AM")
        run_sweep(reference, MONDAY, RegisterSession.AM, policy=load_policy(None), now=SWEPT_AT)

        assert [(r.urn, r.created > 0) for r in results] == [("100001", True)]
        assert action_counts(engine) == action_counts(reference)
        assert stage_entries(engine) == stage_entries(reference)

    def test_deployed_sweep_hands_its_schools_to_worker_processes(
        self, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With PATHWAY_SWEEP_WORKERS=2 every school is swept in the run's worker processes,
        never on the task's thread in the flow's process, and the rows are one process's."""
        import flows.daily_sweep
        from flows.daily_sweep import daily_sweep

        absent = write_synthetic_la(tmp_path / "csv", 4, 20)
        engine = open_database(_settings(tmp_path, database_url))
        import_scenario(engine, tmp_path / "csv", tmp_path / "reports")
        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
        upgrade(reference_url)
        reference = open_database(_settings(tmp_path / "reference", reference_url))
        import_scenario(reference, tmp_path / "csv", tmp_path / "reference-reports")
        run_sweep(reference, MONDAY, RegisterSession.AM, policy=load_policy(None), now=SWEPT_AT)

        monkeypatch.setattr(flows.daily_sweep, "sweep_school", _sweep_school_in_a_child_process)
        settings = _settings(tmp_path, database_url).model_copy(update={"sweep_workers": 2})
        runtime = Runtime(settings, engine, load_policy(None), fixed_now=SWEPT_AT)
        with use_runtime(runtime):
            results = daily_sweep(school_date=MONDAY.isoformat(), session="AM")

        assert sorted(r.urn for r in results) == ["200001", "200002", "200003", "200004"]
        assert not any(r.skipped for r in results)
        assert action_counts(engine) == action_counts(reference)
        assert stage_entries(engine) == [(upn, "first_day_call", MONDAY) for upn in absent]

    def test_deployed_sweep_sends_its_texts_in_the_same_run_once(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """`then_send` (as prefect.yaml deploys it): the text goes out in the sweep's own run;
        a second run queues and sends nothing more."""
        from flows.daily_sweep import daily_sweep

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        runtime = Runtime(settings, engine, load_policy(None), fixed_now=SWEPT_AT)

        with use_runtime(runtime):
            daily_sweep(school_date=MONDAY.isoformat(), session="AM", then_send=True)
            sent_files = sorted(p.name for p in settings.outbox_dir.rglob("*") if p.is_file())
            daily_sweep(school_date=MONDAY.isoformat(), session="AM", then_send=True)

        with engine.connect() as conn:
            messages = conn.execute(sa.text("SELECT upn, channel, status FROM messages")).all()
        texts = [(m.upn, m.status) for m in messages if m.channel in ("sms", "email")]
        assert texts
        assert {upn for upn, _ in texts} == {ABSENT}
        assert {status for _, status in texts} <= {"sent", "delivered"}  # the file outbox delivers
        assert len(texts) == len(sent_files)
        assert all(m.status == "queued" for m in messages if m.channel == "letter")
        assert sorted(p.name for p in settings.outbox_dir.rglob("*") if p.is_file()) == sent_files

    @pytest.mark.parametrize("day", [SATURDAY, HALF_TERM_TUESDAY], ids=["saturday", "half-term"])
    def test_sweep_ends_at_once_when_no_school_is_open(
        self, tmp_path: Path, sqlite_url: str, day: date
    ) -> None:
        """Cron fires on every weekday; the flow finds no open school and records nothing."""
        from flows.daily_sweep import daily_sweep

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        runtime = Runtime(settings, engine, load_policy(None), fixed_now=SWEPT_AT)
        with use_runtime(runtime):
            results = daily_sweep(school_date=day.isoformat(), session="AM")

        assert results == []
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM sweep_runs")).scalar_one() == 0

    def test_sweep_is_limited_to_the_urns_given(self, tmp_path: Path, sqlite_url: str) -> None:
        """`urns` narrows the fan-out; a URN that is not an open school is not swept."""
        from flows.daily_sweep import daily_sweep

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        with use_runtime(Runtime(settings, engine, load_policy(None), fixed_now=SWEPT_AT)):
            elsewhere = daily_sweep(school_date=MONDAY.isoformat(), urns=["999999"])
            assert action_counts(engine)["stage_entries"] == 0
            ours = daily_sweep(school_date=MONDAY.isoformat(), urns=["100001"])

        assert elsewhere == []
        assert [r.urn for r in ours] == ["100001"]
        assert stage_entries(engine) == [(ABSENT, "first_day_call", MONDAY)]


@pytest.mark.usefixtures("prefect_server")
class TestSimulateFlow:
    def test_simulate_is_one_flow_run_for_the_whole_range(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """Four school days, AM and PM, in one flow run; the same actions as in-process."""
        settings, engine = _scenario_db(tmp_path, sqlite_url)
        _, reference = _second_sqlite_db(tmp_path)
        policy = load_policy(None)
        runs_before = _flow_runs_named("simulate")

        results = run_simulate_orchestrated(
            settings, engine, MONDAY.replace(day=3), MONDAY, policy=policy, mode="prefect"
        )
        expected = run_simulate_orchestrated(
            settings, reference, MONDAY.replace(day=3), MONDAY, policy=policy, mode="inline"
        )

        assert _flow_runs_named("simulate") == runs_before + 1
        swept = [(r.school_date.isoformat(), r.session) for r in results if not r.skipped]
        assert swept == [
            (d, s)
            for d in ("2025-09-03", "2025-09-04", "2025-09-05", "2025-09-08")
            for s in ("AM", "PM")
        ]
        assert results == expected
        assert stage_entries(engine) == [(ABSENT, "first_day_call", MONDAY)]
        assert action_counts(engine) == action_counts(reference)


@pytest.mark.usefixtures("prefect_server")
class TestDispatchAndDeadlineFlows:
    def test_dispatch_sends_every_queued_message_once(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """After a sweep the dispatch flow empties the queue; a second run finds nothing."""
        from flows.dispatch import dispatch

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        policy = load_policy(None)
        run_sweep(engine, MONDAY, RegisterSession.AM, policy=policy, now=SWEPT_AT)
        queued = action_counts(engine)["messages"]

        with use_runtime(Runtime(settings, engine, policy, fixed_now=SWEPT_AT)):
            first = dispatch(batch_size=1, max_batches=10)
            second = dispatch()

        assert queued > 0
        assert first.claimed == queued
        assert first.batches == queued + 1  # one message a batch, then one that finds nothing
        assert (second.batches, second.claimed) == (1, 0)
        with engine.connect() as conn:
            statuses = conn.execute(sa.text("SELECT status FROM messages")).scalars().all()
        assert "queued" not in statuses
        assert any(settings.outbox_dir.iterdir())

    def test_dispatch_flow_first_settles_what_a_crashed_run_left_sending(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """Rows a killed run claimed are recovered by the flow (as by `pathway dispatch`), once."""
        from flows.dispatch import dispatch
        from notifications.outbox import claim_due

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        policy = load_policy(None)
        run_sweep(engine, MONDAY, RegisterSession.AM, policy=policy, now=SWEPT_AT)
        queued = action_counts(engine)["messages"]
        assert claim_due(engine, SWEPT_AT, 1000)  # the crashed run's claim, never sent

        later = SWEPT_AT + timedelta(minutes=20)
        with use_runtime(Runtime(settings, engine, policy, fixed_now=later)):
            summary = dispatch(recover_after_seconds=600)

        assert summary.recovered == queued
        assert summary.claimed == queued
        with engine.connect() as conn:
            statuses = set(conn.execute(sa.text("SELECT status FROM messages")).scalars())
        assert not statuses & {"queued", "sending", "unknown"}

    def test_deadlines_flow_does_what_the_service_does(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """Run through Prefect, the deadlines of the next day match the in-process service."""
        from casework.service.tasks.deadlines import run_deadlines
        from flows.deadlines import deadlines

        settings, engine = _scenario_db(tmp_path, sqlite_url)
        _, reference = _second_sqlite_db(tmp_path)
        policy = load_policy(None)
        next_day = MONDAY.replace(day=9)
        for db in (engine, reference):
            run_sweep(db, MONDAY, RegisterSession.AM, policy=policy, now=SWEPT_AT)

        with use_runtime(Runtime(settings, engine, policy, fixed_now=SWEPT_AT)):
            through_flow = deadlines(on=next_day.isoformat())
        in_process = run_deadlines(reference, next_day, policy=policy, now=SWEPT_AT)

        assert through_flow == in_process
        with engine.connect() as conn, reference.connect() as ref:
            query = sa.text("SELECT key, status FROM tasks ORDER BY key")
            assert conn.execute(query).all() == ref.execute(query).all()
