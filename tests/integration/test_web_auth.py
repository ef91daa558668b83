"""Signing in and out, the session cookie and its key, CSRF tokens, the login rate limit."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from twilio.request_validator import RequestValidator

from casework.db.session import get_engine, unit_of_work
from casework.db.tables import User
from casework.web.keys import KEY_FILE_NAME
from tests.web_factories import (
    NOW,
    PASSWORD,
    URN_A,
    TestClient,
    create_school,
    create_user,
    csrf_from,
    sign_in,
    web_app,
)

EMAIL = "officer@a.example.org"
FAILED = "Your email address or password was not recognised"


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = get_engine(sqlite_url)
    create_school(engine, URN_A)
    create_user(engine, EMAIL, "attendance_officer", URN_A)
    return engine


@pytest.fixture
def client(sqlite_url: str, engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(web_app(sqlite_url, tmp_path / "var"))


def _login(
    client: TestClient, email: str, password: str, next_path: str = "/tasks"
) -> httpx.Response:
    token = csrf_from(client.get("/login").text)
    response: httpx.Response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )
    return response


class TestSignIn:
    def test_sign_in_sets_a_session_and_opens_the_queue_when_password_right(
        self, client: TestClient
    ) -> None:
        """The right password starts a session and goes to the task queue."""
        response = _login(client, EMAIL.upper(), PASSWORD)
        assert (response.status_code, response.headers["location"]) == (303, "/tasks")
        page = client.get("/tasks")
        assert page.status_code == 200
        assert EMAIL in page.text

    def test_sign_in_refused_with_one_generic_message_when_email_or_password_wrong(
        self, client: TestClient
    ) -> None:
        """A wrong password and an unknown email look exactly the same to the visitor."""
        wrong_password = _login(client, EMAIL, "not the password")
        unknown_email = _login(client, "nobody@a.example.org", PASSWORD)
        assert wrong_password.status_code == unknown_email.status_code == 401
        assert FAILED in wrong_password.text
        assert FAILED in unknown_email.text
        assert client.get("/tasks", follow_redirects=False).status_code == 302

    def test_cookie_is_httponly_and_lax_and_not_secure_when_served_over_http(
        self, client: TestClient
    ) -> None:
        """Over plain HTTP (the default loopback URL) the cookie cannot be marked Secure."""
        cookie = _login(client, EMAIL, PASSWORD).headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "secure" not in cookie

    def test_cookie_is_secure_when_public_url_is_https(
        self, sqlite_url: str, engine: Engine, tmp_path: Path
    ) -> None:
        """Behind HTTPS the session cookie is only ever sent over HTTPS."""
        app = web_app(sqlite_url, tmp_path / "var", public_base_url="https://pathway.example.org")
        with TestClient(app, base_url="https://testserver") as secure_client:
            cookie = _login(secure_client, EMAIL, PASSWORD).headers["set-cookie"].lower()
        assert "; secure" in cookie

    def test_next_goes_back_to_the_page_asked_for_but_never_off_site(
        self, client: TestClient
    ) -> None:
        """After sign-in the visitor returns to a local page; another site is replaced by /tasks."""
        first = client.get("/overview?x=1", follow_redirects=False)
        assert first.headers["location"] == "/login?next=/overview%3Fx%3D1"
        assert _login(client, EMAIL, PASSWORD, "/overview?x=1").headers["location"] == (
            "/overview?x=1"
        )
        client.cookies.clear()
        assert _login(client, EMAIL, PASSWORD, "//evil.example").headers["location"] == "/tasks"

    def test_sign_out_ends_the_session(self, client: TestClient) -> None:
        """After signing out, pages redirect to sign-in again."""
        token = sign_in(client, EMAIL)
        response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/login")
        assert client.get("/tasks", follow_redirects=False).status_code == 302

    def test_session_ends_when_account_is_disabled(
        self, client: TestClient, engine: Engine
    ) -> None:
        """A disabled account's open session stops working at its next request."""
        sign_in(client, EMAIL)
        with unit_of_work(engine) as session:
            session.exec(select(User).where(User.email == EMAIL)).one().active = False
        assert client.get("/tasks", follow_redirects=False).status_code == 302

    def test_tampered_cookie_is_ignored(self, client: TestClient) -> None:
        """A session cookie whose signature does not match is no session at all."""
        sign_in(client, EMAIL)
        value = client.cookies.get("pathway_session")
        assert value
        client.cookies.set("pathway_session", value[:-3] + "AAA")
        assert client.get("/tasks", follow_redirects=False).status_code == 302


class TestCsrf:
    def test_token_from_before_sign_in_is_refused_after_it(self, client: TestClient) -> None:
        """Signing in renews the token, so a token captured on the sign-in page is worthless."""
        before = csrf_from(client.get("/login").text)
        after = sign_in(client, EMAIL)
        assert before != after
        stale = client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
        assert stale.status_code == 403

    def test_token_in_header_is_accepted(self, client: TestClient) -> None:
        """Scripts may send the token in X-CSRF-Token instead of a form field."""
        token = sign_in(client, EMAIL)
        response = client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert response.status_code == 303


class TestRateLimit:
    def test_sixth_attempt_in_fifteen_minutes_gets_429_even_with_the_right_password(
        self, client: TestClient
    ) -> None:
        """Five failures for one email from one address block that pair for 15 minutes."""
        codes = [_login(client, EMAIL, f"guess {n}").status_code for n in range(5)]
        blocked = _login(client, EMAIL, PASSWORD)
        assert codes == [401] * 5
        assert blocked.status_code == 429
        assert "Too many attempts" in blocked.text
        assert EMAIL not in blocked.headers.get("set-cookie", "")

    def test_block_lifts_when_the_window_has_passed(self, client: TestClient) -> None:
        """Once the oldest failures are 15 minutes old the right password works again."""
        for n in range(5):
            _login(client, EMAIL, f"guess {n}")
        client.app.state.web.clock = lambda: NOW + timedelta(minutes=15)  # type: ignore[attr-defined]
        assert _login(client, EMAIL, PASSWORD).status_code == 303

    def test_block_is_per_email(self, client: TestClient, engine: Engine) -> None:
        """Someone hammering one account does not lock out a colleague at the same address."""
        create_user(engine, "head@a.example.org", "headteacher", URN_A)
        for n in range(6):
            _login(client, EMAIL, f"guess {n}")
        assert _login(client, "head@a.example.org", PASSWORD).status_code == 303


class TestSessionKey:
    def test_key_is_generated_once_with_mode_0600_when_settings_have_none(
        self, sqlite_url: str, engine: Engine, tmp_path: Path
    ) -> None:
        """Without PATHWAY_SECRET_KEY a random key is kept in the var folder, owner-only."""
        var_dir = tmp_path / "var"
        first = TestClient(web_app(sqlite_url, var_dir))
        sign_in(first, EMAIL)
        key_file = var_dir / KEY_FILE_NAME
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert len(key_file.read_text().strip()) >= 43
        # A second process on the same var folder accepts the first one's sessions.
        second = TestClient(web_app(sqlite_url, var_dir), cookies=first.cookies)
        assert second.get("/tasks", follow_redirects=False).status_code == 200

    def test_configured_key_is_used_and_nothing_written(
        self, sqlite_url: str, engine: Engine, tmp_path: Path
    ) -> None:
        """A configured key wins; sessions signed with another key are not accepted."""
        var_dir = tmp_path / "var"
        one = TestClient(web_app(sqlite_url, var_dir, secret_key="k" * 48))
        sign_in(one, EMAIL)
        assert not (var_dir / KEY_FILE_NAME).exists()
        other = TestClient(web_app(sqlite_url, var_dir, secret_key="z" * 48), cookies=one.cookies)
        assert other.get("/tasks", follow_redirects=False).status_code == 302


class TestHeadersAndWebhook:
    def test_pages_carry_security_headers_and_are_not_cached(self, client: TestClient) -> None:
        """Pages hold special-category data: no caching, no framing, no referrer to other sites."""
        response = client.get("/login")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    def test_healthz_needs_no_login(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}

    def test_signed_twilio_receipt_is_accepted_without_session_or_csrf(
        self, sqlite_url: str, engine: Engine, tmp_path: Path
    ) -> None:
        """The webhook is the one unauthenticated write: Twilio's signature is its check."""
        base = "https://pathway.example.org"
        app = web_app(
            sqlite_url, tmp_path / "var", twilio_auth_token="test-token", public_base_url=base
        )
        form = {"MessageSid": "SM0123456789", "MessageStatus": "delivered"}
        path = "/webhooks/twilio/status"
        signature = RequestValidator("test-token").compute_signature(base + path, form)
        with TestClient(app) as stranger:
            signed = stranger.post(path, data=form, headers={"X-Twilio-Signature": signature})
            unsigned = stranger.post(path, data=form)
        assert (signed.status_code, unsigned.status_code) == (204, 403)
