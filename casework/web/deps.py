"""Request dependencies: the app context, the signed-in viewer, and the one place scope is applied.

A `Scope` comes from the viewer: a school user's URN, or None for an LA-wide user. Every query a
route makes goes through `Scope.where` (which adds `WHERE urn = :urn` for school users) or
`get_in_scope` (the same, plus 404 when nothing matches), so a row outside the viewer's school
behaves exactly as a row that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from casework.core.permissions import ROLE_TITLES, Role, in_scope
from casework.core.policy import Policy, load_policy
from casework.db.tables import Pupil, User
from casework.service.accounts import session_user
from casework.service.login_throttle import ThrottleLimits
from casework.settings import Settings

SESSION_VERSION_KEY = "sv"

_Select = TypeVar("_Select", bound="sa.Select[*tuple[Any, ...]]")
_Row = TypeVar("_Row", bound=SQLModel)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebContext:
    """What every request needs, built once by create_app and kept on `app.state.web`."""

    settings: Settings
    engine: Engine
    templates: Jinja2Templates
    clock: Callable[[], datetime] = _utc_now

    @cached_property
    def policy(self) -> Policy:
        """The LA's policy file (or the shipped default), read once per app."""
        return load_policy(self.settings.policy_file)

    @property
    def login_limits(self) -> ThrottleLimits:
        return ThrottleLimits(
            per_account=self.settings.login_max_failures_per_account,
            per_address=self.settings.login_max_failures_per_address,
            window=timedelta(minutes=self.settings.login_window_minutes),
        )

    def now(self) -> datetime:
        """The real time of recording (aware UTC)."""
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        """Today's school date in the LA's timezone (PATHWAY_AS_OF when set): the date pages
        are shown as of, and the `on` of actions taken in the web app."""
        return self.settings.as_of or self.clock().astimezone(self.settings.tz).date()

    @property
    def as_of(self) -> date | None:
        """The past date the app is showing, if any (then it takes no changes)."""
        return self.settings.as_of


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


WebDep = Annotated[WebContext, Depends(web_context)]


def db_session(web: WebDep) -> Iterator[Session]:
    """A read session for the request; writes go through service functions or unit_of_work."""
    with Session(web.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]


def end_read(session: Session) -> None:
    """End the request session's transaction before a write elsewhere in the same request.

    On SQLite every transaction starts with BEGIN IMMEDIATE (casework/db/session.py), so a read
    transaction left open would hold the single writer slot against our own service call.
    Loaded rows stay usable: the session does not expire them.
    """
    session.commit()


@dataclass(frozen=True, slots=True)
class Scope:
    """The schools a viewer reaches: one URN, or every school (`urn` None)."""

    urn: str | None

    @property
    def is_la_wide(self) -> bool:
        return self.urn is None

    def allows(self, urn: str | None) -> bool:
        return in_scope(self.urn, urn)

    def where(self, stmt: _Select, urn_column: Any) -> _Select:
        """`stmt` restricted to this scope's school (unchanged for an LA-wide scope)."""
        if self.urn is None:
            return stmt
        return stmt.where(urn_column == self.urn)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user as the web app sees them."""

    email: str
    role: Role
    urn: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.urn)

    @property
    def role_title(self) -> str:
        return ROLE_TITLES[self.role]


class LoginRequired(Exception):
    """Raised by `current_viewer` when nobody (or a disabled account) is signed in."""


def current_session_user(request: Request, web: WebContext) -> User | None:
    """The account this request's cookie is still valid for, or None."""
    email = request.session.get("email")
    if not isinstance(email, str):
        return None
    return session_user(web.engine, email, request.session.get(SESSION_VERSION_KEY))


def current_viewer(request: Request, web: WebDep) -> Viewer:
    """The signed-in, still-active user; LoginRequired otherwise (pages redirect to /login).

    The cookie's session version must still be the account's: signing out, disabling the
    account, or a new password or role raises it, ending every older session at once.
    """
    if not isinstance(request.session.get("email"), str):
        raise LoginRequired
    user = current_session_user(request, web)
    if user is None:
        # Signed out elsewhere, disabled, or changed since signing in: end this session now.
        request.session.clear()
        raise LoginRequired
    return Viewer(email=user.email, role=Role(user.role), urn=user.urn)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


# Row ids are INTEGER columns: 32-bit on PostgreSQL (SQLite's 64-bit range is wider).
MIN_ROW_ID, MAX_ROW_ID = 1, 2**31 - 1


def not_found(what: str = "page") -> HTTPException:
    return HTTPException(status_code=404, detail=f"We could not find that {what}.")


def forbidden(message: str) -> HTTPException:
    return HTTPException(status_code=403, detail=message)


def get_in_scope(
    session: Session, scope: Scope, model: type[_Row], key_column: Any, key: object, what: str
) -> _Row:
    """The row of `model` whose `key_column` is `key` in `scope`, else 404."""
    if isinstance(key, int) and not MIN_ROW_ID <= key <= MAX_ROW_ID:
        # No row can have it, and the database would refuse to compare it (a 500, not a 404).
        raise not_found(what)
    stmt = scope.where(select(model).where(key_column == key), col(model.urn))  # type: ignore[attr-defined]
    row = session.exec(stmt).first()
    if row is None:
        raise not_found(what)
    return row


def pupil_in_scope(session: Session, scope: Scope, upn: str) -> Pupil:
    return get_in_scope(session, scope, Pupil, col(Pupil.upn), upn, "pupil")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Signing in and out still work while the app shows a past date.
WRITES_ALLOWED_IN_THE_PAST = frozenset({"/login", "/logout"})


def refuse_changes_in_the_past(request: Request, web: WebDep) -> None:
    """While PATHWAY_AS_OF is set the app is a window on the past: no change is taken."""
    if web.as_of is None or request.method in SAFE_METHODS:
        return
    if request.url.path in WRITES_ALLOWED_IN_THE_PAST:
        return
    raise HTTPException(
        status_code=403,
        detail=f"This app is showing the records as of {web.as_of:%d %B %Y} (PATHWAY_AS_OF): "
        "it takes no changes. Unset PATHWAY_AS_OF to work on today's records.",
    )
