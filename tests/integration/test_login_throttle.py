"""Sign-in throttling kept in the database (issue 19): per account and per source address,
surviving a restart, cleared by an admin; X-Forwarded-For believed only from named proxies."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.requests import Request
from typer.testing import CliRunner

from casework.db.session import get_engine
from casework.db.tables import AuditEntry
from casework.service.login_throttle import ThrottleLimits, is_blocked, record_failure
from casework.settings import Settings
from casework.web.security import client_address
from tests.web_factories import (
    NOW,
    PASSWORD,
    URN_A,
    TestClient,
    create_school,
    create_user,
    csrf_from,
    web_app,
)

EMAIL = "officer@a.example.org"
PROXY = "10.0.0.5"


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = get_engine(sqlite_url)
    create_school(engine, URN_A)
    create_user(engine, EMAIL, "attendance_officer", URN_A)
    return engine


def _client(sqlite_url: str, tmp_path: Path, address: str, **settings: Any) -> TestClient:
    return TestClient(web_app(sqlite_url, tmp_path / "var", **settings), client=(address, 50000))


def _login(
    client: TestClient, email: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    token = csrf_from(client.get("/login").text)
    response: httpx.Response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers or {},
        follow_redirects=False,
    )
    return response


class TestPasswordSpray:
    def test_many_accounts_from_one_address_get_429_and_another_address_still_signs_in(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Twelve emails from one address: ten 401s, then 429 even for a real password."""
        attacker = _client(sqlite_url, tmp_path, "192.0.2.66")
        codes = [
            _login(attacker, f"user{n}@a.example.org", "Winter2025!").status_code for n in range(12)
        ]
        assert codes == [401] * 10 + [429] * 2
        assert _login(attacker, EMAIL, PASSWORD).status_code == 429
        colleague = _client(sqlite_url, tmp_path, "192.0.2.10")
        assert _login(colleague, EMAIL, PASSWORD).status_code == 303

    def test_one_account_is_locked_whatever_address_the_guesses_come_from(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Five wrong passwords from five addresses lock the account; the owner gets 429 too."""
        for n in range(5):
            guesser = _client(sqlite_url, tmp_path, f"198.51.100.{n}")
            assert _login(guesser, EMAIL, f"guess {n}").status_code == 401
        owner = _client(sqlite_url, tmp_path, "192.0.2.10")
        assert _login(owner, EMAIL, PASSWORD).status_code == 429


class TestKeptInTheDatabase:
    def test_a_restart_forgets_nothing(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Failures counted by one app are counted by a freshly started one."""
        first = _client(sqlite_url, tmp_path, "192.0.2.66")
        for n in range(5):
            _login(first, EMAIL, f"guess {n}")
        restarted = _client(sqlite_url, tmp_path, "192.0.2.66")
        assert _login(restarted, EMAIL, PASSWORD).status_code == 429

    def test_failures_age_out_of_the_window(self, engine: Engine) -> None:
        limits = ThrottleLimits(per_account=2, per_address=50, window=timedelta(minutes=15))
        record_failure(engine, EMAIL, "192.0.2.1", NOW, limits)
        record_failure(engine, EMAIL, "192.0.2.2", NOW + timedelta(minutes=1), limits)
        assert is_blocked(engine, EMAIL, "192.0.2.3", NOW + timedelta(minutes=14), limits)
        assert not is_blocked(engine, EMAIL, "192.0.2.3", NOW + timedelta(minutes=15), limits)

    def test_admin_clears_a_lockout_from_the_cli_and_it_is_audited(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """`pathway users unlock` lifts the lockout; the entry counts what was cleared."""
        client = _client(sqlite_url, tmp_path, "192.0.2.66")
        for n in range(5):
            _login(client, EMAIL, f"guess {n}")
        assert _login(client, EMAIL, PASSWORD).status_code == 429
        from casework.cli.app import app

        env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
        result = CliRunner().invoke(app, ["users", "unlock", EMAIL.upper()], env=env)
        assert result.exit_code == 0, result.output
        assert "cleared 5 failed sign-in(s)" in result.stdout
        assert _login(client, EMAIL, PASSWORD).status_code == 303
        with Session(engine) as session:
            entry = session.exec(
                select(AuditEntry).where(AuditEntry.kind == "login.lockout_cleared")
            ).one()
        assert entry.detail == {"email": EMAIL, "failures_cleared": 5}


class TestForwardedFor:
    def test_header_from_an_unnamed_peer_does_not_buy_a_new_address(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """With no trusted proxy, a spraying client writing new X-Forwarded-For values each try
        is still one address."""
        client = _client(sqlite_url, tmp_path, "127.0.0.1")
        codes = [
            _login(client, f"u{n}@a.example.org", "x", {"X-Forwarded-For": f"203.0.113.{n}"})
            for n in range(11)
        ]
        assert [r.status_code for r in codes] == [401] * 10 + [429]

    def test_header_from_a_named_proxy_gives_each_client_its_own_count(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Behind the LA's proxy, one sprayer does not lock out a colleague behind it."""
        proxy = _client(sqlite_url, tmp_path, PROXY, trusted_proxies=f"{PROXY}/32")
        sprayer = {"X-Forwarded-For": "203.0.113.9"}
        codes = [_login(proxy, f"u{n}@a.example.org", "x", sprayer).status_code for n in range(11)]
        assert codes[-1] == 429
        colleague = {"X-Forwarded-For": "203.0.113.20"}
        assert _login(proxy, EMAIL, PASSWORD, colleague).status_code == 303

    @pytest.mark.parametrize(
        ("peer", "header", "trusted", "expected"),
        [
            ("127.0.0.1", "203.0.113.9", "", "127.0.0.1"),
            (PROXY, "203.0.113.9", PROXY, "203.0.113.9"),
            (PROXY, "6.6.6.6, 203.0.113.9", PROXY, "203.0.113.9"),  # leftmost is client-written
            (PROXY, "203.0.113.9, 10.0.0.6", "10.0.0.0/24", "203.0.113.9"),  # two proxies
            (PROXY, "not-an-address", PROXY, PROXY),
            ("192.0.2.1", "203.0.113.9", PROXY, "192.0.2.1"),
        ],
    )
    def test_client_address(self, peer: str, header: str, trusted: str, expected: str) -> None:
        scope = {
            "type": "http",
            "client": (peer, 1234),
            "headers": [(b"x-forwarded-for", header.encode())],
        }
        networks = Settings(trusted_proxies=trusted).trusted_proxy_networks
        assert client_address(Request(scope), networks) == expected

    def test_a_bad_proxy_setting_is_refused_at_start(self) -> None:
        with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
            Settings(trusted_proxies="10.0.0.5,proxy.example")
