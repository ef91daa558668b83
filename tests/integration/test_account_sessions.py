"""Sessions that can be ended (issue 19): sign-out, disable, a new password or role end every
session of the account at once; `pathway users list|disable|enable|passwd|role` and the admin's
accounts page each write an audit entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from casework.db.session import get_engine
from casework.db.tables import AuditEntry
from casework.service.users import authenticate
from tests.web_factories import (
    PASSWORD,
    URN_A,
    URN_B,
    TestClient,
    create_school,
    create_user,
    sign_in,
    web_app,
)

EMAIL = "officer@a.example.org"
ADMIN = "admin@la.example.org"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = get_engine(sqlite_url)
    create_school(engine, URN_A)
    create_school(engine, URN_B)
    create_user(engine, EMAIL, "attendance_officer", URN_A)
    create_user(engine, ADMIN, "admin", None)
    return engine


@pytest.fixture
def client(sqlite_url: str, engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(web_app(sqlite_url, tmp_path / "var"))


def _cli(sqlite_url: str, tmp_path: Path, *args: str, stdin: str | None = None) -> Any:
    from casework.cli.app import app

    env = {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def _audit(engine: Engine, kind: str) -> list[AuditEntry]:
    with Session(engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.kind == kind).order_by(col(AuditEntry.seq))
        return list(session.exec(stmt).all())


def _replay(app_client: TestClient, cookie: str) -> int:
    """A request carrying only a saved copy of the session cookie."""
    app_client.cookies.clear()
    app_client.cookies.set("pathway_session", cookie)
    response = app_client.get("/tasks", follow_redirects=False)
    return int(response.status_code)


class TestSignOut:
    def test_cookie_saved_before_sign_out_is_refused_after_it(self, client: TestClient) -> None:
        """Copying the cookie before signing out gives an attacker nothing afterwards."""
        token = sign_in(client, EMAIL)
        saved = client.cookies.get("pathway_session")
        assert saved
        assert client.get("/tasks").status_code == 200
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert _replay(client, saved) == 302

    def test_sign_out_ends_the_other_devices_too_but_a_new_sign_in_works(
        self, client: TestClient, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Two browsers signed in as one person: signing out in one ends both; signing in again
        works."""
        other = TestClient(client.app)
        sign_in(other, EMAIL)
        token = sign_in(client, EMAIL)
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert other.get("/tasks", follow_redirects=False).status_code == 302
        sign_in(other, EMAIL)
        assert other.get("/tasks").status_code == 200


class TestAccountChangesEndSessions:
    @pytest.mark.parametrize(
        ("args", "stdin", "kind"),
        [
            (("users", "disable", EMAIL), None, "user.disabled"),
            (("users", "passwd", EMAIL, "--password-stdin"), NEW_PASSWORD + "\n", None),
            (("users", "role", EMAIL, "--role", "school_staff", "--school", URN_A), None, None),
        ],
        ids=["disable", "passwd", "role"],
    )
    def test_cli_change_ends_the_open_session_and_is_audited(
        self,
        client: TestClient,
        engine: Engine,
        sqlite_url: str,
        tmp_path: Path,
        args: tuple[str, ...],
        stdin: str | None,
        kind: str | None,
    ) -> None:
        """The open session stops at its next request; the change is one audit entry by cli."""
        sign_in(client, EMAIL)
        result = _cli(sqlite_url, tmp_path, *args, stdin=stdin)
        assert result.exit_code == 0, result.output
        assert "every session of the account has ended" in result.stdout
        assert client.get("/tasks", follow_redirects=False).status_code == 302
        expected = kind or {"passwd": "user.password_changed", "role": "user.role_changed"}[args[1]]
        entries = _audit(engine, expected)
        assert [(e.actor, e.detail["email"]) for e in entries] == [("cli", EMAIL)]
        assert "password" not in str(entries[0].detail).replace("password_changed", "")

    def test_disabled_user_cannot_sign_in_until_enabled(
        self, client: TestClient, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """Disabled: the right password gets the generic refusal; enabled again: it works."""
        assert _cli(sqlite_url, tmp_path, "users", "disable", EMAIL).exit_code == 0
        assert authenticate(engine, EMAIL, PASSWORD) is None
        enabled = _cli(sqlite_url, tmp_path, "users", "enable", EMAIL)
        assert enabled.exit_code == 0
        sign_in(client, EMAIL)
        assert len(_audit(engine, "user.enabled")) == 1

    def test_new_password_works_and_old_one_does_not(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """`passwd` swaps the password; a short one is refused with a reason and exit 1."""
        short = _cli(
            sqlite_url, tmp_path, "users", "passwd", EMAIL, "--password-stdin", stdin="x\n"
        )
        assert short.exit_code == 1
        assert "at least 10 characters" in short.output
        args = ("users", "passwd", EMAIL, "--password-stdin")
        assert _cli(sqlite_url, tmp_path, *args, stdin=NEW_PASSWORD + "\n").exit_code == 0
        assert authenticate(engine, EMAIL, PASSWORD) is None
        assert authenticate(engine, EMAIL, NEW_PASSWORD) is not None

    def test_role_change_checks_the_school_and_records_the_previous_role(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        """A school role without a school is refused; a good change keeps what it replaced."""
        bad = _cli(sqlite_url, tmp_path, "users", "role", EMAIL, "--role", "headteacher")
        assert bad.exit_code == 1
        assert "--school" in bad.output
        good = _cli(sqlite_url, tmp_path, "users", "role", EMAIL, "--role", "la_officer")
        assert good.exit_code == 0, good.output
        (entry,) = _audit(engine, "user.role_changed")
        assert entry.detail["previous_role"] == "attendance_officer"
        assert (entry.detail["role"], entry.detail["account_urn"]) == ("la_officer", None)

    def test_unknown_account_is_a_clear_error(self, sqlite_url: str, tmp_path: Path) -> None:
        result = _cli(sqlite_url, tmp_path, "users", "disable", "nobody@a.example.org")
        assert result.exit_code == 1
        assert "no account for nobody@a.example.org" in result.output


class TestUsersList:
    def test_list_with_no_accounts_says_so(self, sqlite_url: str, tmp_path: Path) -> None:
        """An empty list prints a line that tells the reader what to do, not nothing."""
        result = _cli(sqlite_url, tmp_path, "users", "list")
        assert result.exit_code == 0
        assert "No accounts yet" in result.stdout

    def test_list_shows_disabled_accounts(
        self, engine: Engine, sqlite_url: str, tmp_path: Path
    ) -> None:
        _cli(sqlite_url, tmp_path, "users", "disable", EMAIL)
        lines = _cli(sqlite_url, tmp_path, "users", "list").stdout.splitlines()
        assert f"{EMAIL}\tattendance_officer\t{URN_A}  (disabled)" in lines
        assert f"{ADMIN}\tadmin\tLA" in lines

    def test_add_is_audited(self, engine: Engine, sqlite_url: str, tmp_path: Path) -> None:
        args = ("users", "add", "new@b.example.org", "--role", "headteacher", "--school", URN_B)
        result = _cli(sqlite_url, tmp_path, *args, "--password-stdin", stdin=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        (entry,) = _audit(engine, "user.added")
        assert entry.detail == {
            "email": "new@b.example.org",
            "role": "headteacher",
            "account_urn": URN_B,
        }


class TestAdminPage:
    def test_only_the_admin_role_reaches_the_accounts_page(
        self, client: TestClient, sqlite_url: str
    ) -> None:
        """An officer gets 403 on the page and on its forms; the admin sees every account."""
        token = sign_in(client, EMAIL)
        assert client.get("/admin/users").status_code == 403
        forged = client.post(
            "/admin/users/role",
            data={"csrf_token": token, "email": EMAIL, "role": "la_officer"},
        )
        assert forged.status_code == 403
        admin = TestClient(client.app)
        sign_in(admin, ADMIN)
        page = admin.get("/admin/users")
        assert page.status_code == 200
        assert EMAIL in page.text

    def test_admin_disables_an_account_and_its_session_ends(
        self, client: TestClient, engine: Engine
    ) -> None:
        """The admin's disable ends the officer's session; the audit entry names the admin."""
        sign_in(client, EMAIL)
        admin = TestClient(client.app)
        token = sign_in(admin, ADMIN)
        response = admin.post("/admin/users/disable", data={"csrf_token": token, "email": EMAIL})
        assert response.status_code == 200
        assert "Disabled officer@a.example.org" in response.text
        assert client.get("/tasks", follow_redirects=False).status_code == 302
        assert [e.actor for e in _audit(engine, "user.disabled")] == [ADMIN]

    def test_admin_cannot_disable_their_own_account(self, client: TestClient) -> None:
        token = sign_in(client, ADMIN)
        response = client.post("/admin/users/disable", data={"csrf_token": token, "email": ADMIN})
        assert response.status_code == 403
        assert client.get("/admin/users").status_code == 200
