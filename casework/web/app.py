"""The FastAPI application: middleware, routers, error pages. `create_app` is the one entrypoint.

Sessions are Starlette's signed cookie (httponly, SameSite=Lax, Secure when the public URL is
HTTPS). Every router but the health check and the Twilio webhook carries the CSRF dependency;
the webhook proves itself with Twilio's signature instead.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casework.db.database import open_database
from casework.settings import Settings
from casework.web.deps import (
    LoginRequired,
    WebContext,
    refuse_changes_in_the_past,
    web_context,
)
from casework.web.keys import session_secret
from casework.web.pages import make_templates, render
from casework.web.routes import (
    admin,
    audit,
    auth,
    decisions,
    health,
    leave,
    letters,
    overview,
    pupils,
    referrals,
    reports,
    tasks,
)
from casework.web.security import require_csrf
from notifications import receipts

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "pathway_session"
SESSION_MAX_AGE_SECONDS = 8 * 60 * 60  # one working day, then sign in again

_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Our URLs carry UPNs: never send them to another site.
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    # Pages hold special-category data (DOMAIN.md rule 30): keep them out of shared caches.
    (b"cache-control", b"no-store"),
)


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Adds the security headers above to every HTTP response that does not set its own, and
    HSTS when the app is served over HTTPS (browsers then never try plain HTTP for a year)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = (*_SECURITY_HEADERS, HSTS) if hsts else _SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_page_request(request: Request) -> bool:
    return not request.url.path.startswith(("/webhooks/", "/healthz"))


async def _login_required(request: Request, _exc: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    location = "/login" if target == "/" else f"/login?next={quote(target, safe='/')}"
    status = 302 if request.method in ("GET", "HEAD") else 303
    return RedirectResponse(location, status_code=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _is_page_request(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    titles = {403: "Not allowed", 404: "Page not found", 429: "Too many attempts"}
    context = {"title": titles.get(exc.status_code, "Something went wrong"), "detail": exc.detail}
    response = render(request, web_context(request), None, "error.html", context, exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _is_page_request(request):
        return JSONResponse({"detail": "invalid request"}, status_code=422)
    context = {
        "title": "Something was missing",
        "detail": "The form or address was not complete. Go back and check it.",
    }
    return render(request, web_context(request), None, "error.html", context, 422)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for `settings` (built from PATHWAY_* when not given), database migrated."""
    settings = settings or Settings()
    engine = open_database(settings)
    app = FastAPI(title="Attendance Pathway", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebContext(
        settings=settings,
        engine=engine,
        templates=make_templates(settings.tz),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_SECONDS,
        same_site="lax",
        https_only=settings.public_base_url.startswith("https://"),
    )
    app.add_middleware(SecurityHeaders, hsts=settings.public_base_url.startswith("https://"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(health.router)
    csrf = [Depends(require_csrf), Depends(refuse_changes_in_the_past)]
    for module in (
        auth,
        tasks,
        letters,
        referrals,
        pupils,
        leave,
        decisions,
        audit,
        overview,
        reports,
        admin,
    ):
        app.include_router(module.router, dependencies=csrf)
    # Twilio's delivery receipts: checked by Twilio's signature, so no session and no CSRF token.
    app.include_router(receipts.router)
    receipt_context = receipts.ReceiptContext(engine, settings)
    app.dependency_overrides[receipts.receipt_context] = lambda: receipt_context

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    return app
