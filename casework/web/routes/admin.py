"""Accounts for the admin role: `GET /admin/users` and the changes it posts.

Disable, enable, a new role or a new password each end every session of the account at once
and write an audit entry naming the admin (casework/service/accounts.py). An admin may not
disable or demote their own account here, so the app cannot be left with nobody to run it;
`pathway users` at the server can still do it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.engine import Engine
from starlette.responses import RedirectResponse, Response

from casework.core.permissions import ROLE_TITLES, Action, allows
from casework.service.accounts import (
    AccountView,
    account_views,
    disable_user,
    enable_user,
    set_password,
    set_role,
)
from casework.service.errors import ServiceError
from casework.service.login_throttle import clear_lockout, locked_accounts
from casework.web.deps import Viewer, ViewerDep, WebDep, forbidden
from casework.web.pages import flash, render

router = APIRouter()

Email = Annotated[str, Form(max_length=254)]
BACK = "/admin/users"


def _admin(viewer: Viewer) -> None:
    if not allows(viewer.role, Action.MANAGE_ACCOUNTS):
        raise forbidden("Only an administrator can manage accounts.")


def _not_self(viewer: Viewer, email: str) -> None:
    if email.strip().lower() == viewer.email:
        raise forbidden("You cannot disable or change the role of your own account here.")


def _apply(
    request: Request, web: WebDep, change: Callable[[Engine], AccountView], done: str
) -> Response:
    try:
        account = change(web.engine)
    except ServiceError as exc:
        flash(request, f"Nothing changed: {exc}.", kind="error")
    else:
        flash(request, f"{done} {account.email}. Their sessions have ended.")
    return RedirectResponse(BACK, status_code=303)


@router.get("/admin/users")
def accounts_page(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    _admin(viewer)
    context = {
        "title": "Accounts",
        "accounts": account_views(web.engine),
        "locked": locked_accounts(web.engine, web.now(), web.login_limits),
        "roles": ROLE_TITLES,
    }
    return render(request, web, viewer, "admin_users.html", context)


@router.post("/admin/users/disable")
def disable(request: Request, web: WebDep, viewer: ViewerDep, email: Email) -> Response:
    _admin(viewer)
    _not_self(viewer, email)
    now = web.now()
    return _apply(request, web, lambda e: disable_user(e, email, viewer.email, now), "Disabled")


@router.post("/admin/users/enable")
def enable(request: Request, web: WebDep, viewer: ViewerDep, email: Email) -> Response:
    _admin(viewer)
    now = web.now()
    return _apply(request, web, lambda e: enable_user(e, email, viewer.email, now), "Enabled")


@router.post("/admin/users/role")
def change_role(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    email: Email,
    role: Annotated[str, Form(max_length=24)],
    school: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    _admin(viewer)
    _not_self(viewer, email)
    now = web.now()
    urn = school.strip() or None
    return _apply(
        request,
        web,
        lambda e: set_role(e, email, role, urn, viewer.email, now),
        "Changed the role of",
    )


@router.post("/admin/users/password")
def change_password(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    email: Email,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    _admin(viewer)
    now = web.now()
    return _apply(
        request,
        web,
        lambda e: set_password(e, email, password, viewer.email, now),
        "Set a new password for",
    )


@router.post("/admin/users/unlock")
def unlock(request: Request, web: WebDep, viewer: ViewerDep, email: Email) -> Response:
    _admin(viewer)
    cleared = clear_lockout(web.engine, email, viewer.email, web.now())
    flash(request, f"Cleared {cleared} failed sign-in(s) for {email.strip().lower()}.")
    return RedirectResponse(BACK, status_code=303)
