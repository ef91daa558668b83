"""Accounts: `casework.service.users` and `pathway users add`, on a real migrated database."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

import casework.cli.users  # noqa: F401  (registers `users` on the app)
from casework.cli.app import app as cli_app
from casework.db.session import get_engine
from casework.db.tables import User
from casework.service.errors import InvalidRequest
from casework.service.users import add_user, authenticate, get_user
from tests.web_factories import NOW, URN_A, create_school

PASSWORD = "a long enough passphrase"


@pytest.fixture
def engine(database_url: str) -> Engine:
    engine = get_engine(database_url)
    create_school(engine, URN_A)
    return engine


class TestAddUser:
    def test_added_user_signs_in_with_argon2_hash_and_any_letter_case(self, engine: Engine) -> None:
        """The stored hash is argon2id; the email is matched case-insensitively."""
        user = add_user(engine, "Head@A.Example.org", "headteacher", URN_A, PASSWORD, NOW)
        assert user.email == "head@a.example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert authenticate(engine, "HEAD@a.example.org", PASSWORD) is not None
        assert authenticate(engine, "head@a.example.org", PASSWORD + "x") is None
        assert authenticate(engine, "nobody@a.example.org", PASSWORD) is None
        found = get_user(engine, " head@a.example.org ")
        assert found is not None
        assert (found.role, found.urn) == ("headteacher", URN_A)

    @pytest.mark.parametrize(
        ("email", "role", "urn", "password", "message"),
        [
            ("a@a.example.org", "school_staff", None, PASSWORD, "belongs to a school"),
            ("a@a.example.org", "la_officer", URN_A, PASSWORD, "LA-wide"),
            ("a@a.example.org", "teacher", URN_A, PASSWORD, "unknown role"),
            ("a@a.example.org", "headteacher", "999999", PASSWORD, "no school with URN"),
            ("a@a.example.org", "headteacher", URN_A, "short", "at least 10"),
            ("not-an-email", "headteacher", URN_A, PASSWORD, "not a valid email"),
        ],
    )
    def test_invalid_account_is_refused_with_a_reason(
        self, engine: Engine, email: str, role: str, urn: str | None, password: str, message: str
    ) -> None:
        with pytest.raises(InvalidRequest, match=message):
            add_user(engine, email, role, urn, password, NOW)
        with Session(engine) as session:
            assert session.exec(select(User)).first() is None

    def test_duplicate_email_is_refused(self, engine: Engine) -> None:
        add_user(engine, "la@la.example.org", "la_officer", None, PASSWORD, NOW)
        with pytest.raises(InvalidRequest, match="already exists"):
            add_user(engine, "LA@la.example.org", "auditor", None, PASSWORD, NOW)

    def test_disabled_account_cannot_sign_in_or_act(self, engine: Engine) -> None:
        user = add_user(engine, "la@la.example.org", "la_officer", None, PASSWORD, NOW)
        with Session(engine) as session:
            row = session.get(User, user.id)
            assert row is not None
            row.active = False
            session.add(row)
            session.commit()
        assert authenticate(engine, "la@la.example.org", PASSWORD) is None
        assert get_user(engine, "la@la.example.org") is None


class TestCli:
    @pytest.fixture(autouse=True)
    def _restore_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # `--database-url` exports PATHWAY_DATABASE_URL; give it back afterwards.
        monkeypatch.delenv("PATHWAY_DATABASE_URL", raising=False)

    def _run(self, url: str, *args: str, stdin: str = "") -> Result:
        return CliRunner().invoke(cli_app, ["--database-url", url, "users", *args], input=stdin)

    def test_users_add_reads_the_password_from_stdin(
        self, database_url: str, engine: Engine
    ) -> None:
        """`pathway users add EMAIL --role R --school URN --password-stdin` creates the account."""
        result = self._run(
            database_url,
            "add",
            "officer@a.example.org",
            "--role",
            "attendance_officer",
            "--school",
            URN_A,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
        assert "added officer@a.example.org" in result.output
        assert PASSWORD not in result.output
        assert authenticate(engine, "officer@a.example.org", PASSWORD) is not None

    def test_users_add_prompts_hidden_without_the_flag(
        self, database_url: str, engine: Engine
    ) -> None:
        """Without --password-stdin the password is asked for twice and not echoed."""
        result = self._run(
            database_url,
            "add",
            "auditor@la.example.org",
            "--role",
            "auditor",
            stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
        user = get_user(engine, "auditor@la.example.org")
        assert user is not None
        assert user.urn is None

    def test_users_add_fails_with_exit_1_when_school_missing(
        self, database_url: str, engine: Engine
    ) -> None:
        result = self._run(
            database_url,
            "add",
            "head@a.example.org",
            "--role",
            "headteacher",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert result.exit_code == 1
        assert "--school" in result.output
        assert get_user(engine, "head@a.example.org") is None

    def test_users_list_shows_role_and_school(self, database_url: str, engine: Engine) -> None:
        add_user(engine, "head@a.example.org", "headteacher", URN_A, PASSWORD, NOW)
        result = self._run(database_url, "list")
        assert result.exit_code == 0
        assert "head@a.example.org\theadteacher\t100001" in result.output
