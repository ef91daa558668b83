"""Sign in and out: `GET/POST /login`, `POST /logout`, and `/` sending people where they belong.

Failures give one generic message whether the email or the password was wrong, and count
towards the per-account and per-address limits kept in the database
(casework/service/login_throttle.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from casework.service.accounts import sign_out_everywhere
from casework.service.login_throttle import is_blocked, record_failure, record_success
from casework.service.users import authenticate
from casework.web.deps import SESSION_VERSION_KEY, WebDep, current_session_user
from casework.web.pages import flash, render
from casework.web.security import client_address, renew_csrf_token

router = APIRouter()

FAILED = "Your email address or password was not recognised. Check them and try again."
BLOCKED = "Too many attempts to sign in. Wait 15 minutes, then try again."


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/tasks"


@router.get("/")
def home(request: Request, web: WebDep) -> RedirectResponse:
    target = "/tasks" if current_session_user(request, web) else "/login"
    return RedirectResponse(target, status_code=302)


@router.get("/login")
def login_page(request: Request, web: WebDep, next: str | None = None) -> Response:
    if current_session_user(request, web):
        return RedirectResponse(safe_next(next), status_code=302)
    context = {"title": "Sign in", "error": None, "email": "", "next": safe_next(next)}
    return render(request, web, None, "login.html", context)


@router.post("/login")
def login(
    request: Request,
    web: WebDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/tasks",
) -> Response:
    now = web.now()
    address = client_address(request, web.settings.trusted_proxy_networks)
    limits = web.login_limits
    context = {"title": "Sign in", "email": email, "next": safe_next(next)}
    if is_blocked(web.engine, email, address, now, limits):
        return render(request, web, None, "login.html", {**context, "error": BLOCKED}, 429)
    user = authenticate(web.engine, email, password) if email and password else None
    if user is None:
        record_failure(web.engine, email, address, now, limits)
        return render(request, web, None, "login.html", {**context, "error": FAILED}, 401)
    record_success(web.engine, user.email)
    # A new session on sign-in: nothing from before it (and no old CSRF token) carries over.
    request.session.clear()
    request.session["email"] = user.email
    request.session[SESSION_VERSION_KEY] = user.session_version
    renew_csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, web: WebDep) -> RedirectResponse:
    user = current_session_user(request, web)
    if user is not None:
        # Ends this session and every other one of the account: a copy of the cookie taken
        # before signing out is refused from now on.
        sign_out_everywhere(web.engine, user.email, web.now())
    request.session.clear()
    flash(request, "You have signed out.")
    return RedirectResponse("/login", status_code=303)
