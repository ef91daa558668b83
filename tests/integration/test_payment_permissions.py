"""Who may record a penalty notice paid or withdrawn (issue 19): the LA's roles only unless the
policy widens it, checked the same way by the service, the CLI's `--as` and the web app."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from casework.core.policy import Policy, parse_policy
from casework.db.session import get_engine
from casework.db.tables import PenaltyNotice, Task
from casework.service.errors import NotAllowed
from casework.service.legal.withdrawal import withdraw_notice
from casework.service.tasks.actions import complete_task
from casework.service.users import add_user
from tests.integration.test_decisions import MUM, NOW, URN, approve, requested, seed, sweep
from tests.web_factories import TestClient, csrf_from, web_app

PASSWORD = "long password 1"
STAFF = "staff@school.example"
HEAD = "head@school.example"
LA = "officer@la.example"
ON = date(2025, 11, 20)


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    """A pupil with two penalty notices issued (one per parent) and their payment tasks."""
    engine = get_engine(sqlite_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))
    add_user(engine, STAFF, "school_staff", URN, PASSWORD, NOW)
    add_user(engine, HEAD, "headteacher", URN, PASSWORD, NOW)
    add_user(engine, LA, "la_officer", None, PASSWORD, NOW)
    return engine


def _payment_task(engine: Engine, contact: str = MUM) -> int:
    with Session(engine) as db:
        task = db.exec(
            select(Task).where(Task.kind == "notice_payment", col(Task.key).endswith(contact))
        ).one()
    return task.id or 0


def _notice(engine: Engine, contact: str = MUM) -> PenaltyNotice:
    with Session(engine) as db:
        return db.exec(select(PenaltyNotice).where(PenaltyNotice.contact_id == contact)).one()


def _pay(engine: Engine, actor: str, policy: Policy | None = None) -> None:
    complete_task(
        engine,
        _payment_task(engine),
        outcome="paid",
        actor=actor,
        on=ON,
        now=NOW,
        policy=policy or Policy(),
    )


def _withdraw(engine: Engine, actor: str, policy: Policy | None = None) -> None:
    withdraw_notice(
        engine,
        _notice(engine).id or 0,
        grounds="material_error",
        reason="Wrong address on the notice",
        actor=actor,
        on=ON,
        now=NOW,
        policy=policy or Policy(),
    )


class TestService:
    @pytest.mark.parametrize("actor", [STAFF, HEAD])
    def test_school_roles_cannot_record_a_payment(self, engine: Engine, actor: str) -> None:
        """A paid notice bars prosecution: a school account completing the task is refused."""
        with pytest.raises(NotAllowed, match="may not record a penalty notice as paid"):
            _pay(engine, actor)
        assert _notice(engine).status == "issued"

    def test_an_la_officer_records_the_payment(self, engine: Engine) -> None:
        _pay(engine, LA)
        assert _notice(engine).status == "paid"

    def test_a_headteacher_cannot_withdraw_but_the_la_can(self, engine: Engine) -> None:
        with pytest.raises(NotAllowed, match="may not withdraw a penalty notice"):
            _withdraw(engine, HEAD)
        _withdraw(engine, LA)
        assert _notice(engine).status == "withdrawn"

    def test_the_policy_can_widen_who_records_a_payment(self, engine: Engine) -> None:
        """An LA that lets headteachers record payments says so in its policy file."""
        widened = parse_policy({"permissions": {"record_payment_extra_roles": ["headteacher"]}})
        _pay(engine, HEAD, widened)
        assert _notice(engine).status == "paid"
        with pytest.raises(NotAllowed):
            _withdraw(engine, HEAD, widened)  # withdrawal was not widened


def _cli(sqlite_url: str, tmp_path: Path, *args: str) -> Any:
    from casework.cli.app import app

    env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(app, list(args), env=env)


class TestCli:
    def test_as_school_staff_is_refused_and_as_the_la_it_works(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        task = ("tasks", "complete", str(_payment_task(engine)), "--outcome", "paid")
        refused = _cli(sqlite_url, tmp_path, *task, "--on", "2025-11-20", "--as", STAFF)
        assert refused.exit_code == 1
        assert f"{STAFF} (school_staff) may not record this" in refused.output
        done = _cli(sqlite_url, tmp_path, *task, "--on", "2025-11-20", "--as", LA)
        assert done.exit_code == 0, done.output
        assert _notice(engine).status == "paid"

    def test_withdraw_as_a_headteacher_is_refused(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        notice = str(_notice(engine).id)
        args = ("notices", "withdraw", notice, "--grounds", "material_error", "--reason", "typo")
        refused = _cli(sqlite_url, tmp_path, *args, "--on", "2025-11-20", "--as", HEAD)
        assert refused.exit_code == 1
        assert "may not withdraw a penalty notice" in refused.output
        done = _cli(sqlite_url, tmp_path, *args, "--on", "2025-11-20", "--as", LA)
        assert done.exit_code == 0, done.output


class TestWeb:
    def _signed_in(self, sqlite_url: str, tmp_path: Path, email: str) -> tuple[TestClient, str]:
        client = TestClient(web_app(sqlite_url, tmp_path / "var"))
        token = csrf_from(client.get("/login").text)
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        return client, csrf_from(client.get("/tasks").text)

    def test_school_staff_get_403_and_no_form_the_la_officer_records_it(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        task_id = _payment_task(engine)
        staff, token = self._signed_in(sqlite_url, tmp_path, STAFF)
        page = staff.get(f"/tasks/{task_id}")
        assert "Only the LA attendance service records a penalty notice payment" in page.text
        assert "Complete task" not in page.text
        forged = staff.post(
            f"/tasks/{task_id}/complete", data={"csrf_token": token, "outcome": "paid"}
        )
        assert forged.status_code == 403
        assert _notice(engine).status == "issued"
        la, la_token = self._signed_in(sqlite_url, tmp_path, LA)
        done = la.post(
            f"/tasks/{task_id}/complete",
            data={"csrf_token": la_token, "outcome": "paid"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert _notice(engine).status == "paid"
