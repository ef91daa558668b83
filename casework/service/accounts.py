"""Changing an account's access: disable, enable, new password, new role, sign out everywhere.

Every change raises the account's `session_version` in the same transaction as its audit entry,
so every session signed in before it stops working on its next request (issue 19): a leaver's
browser, a cookie copied before sign-out, a session that still carries the old role. The audit
entry names the account and what changed, never a password or its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.permissions import account_problem, parse_role
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import School, User
from casework.service.errors import InvalidRequest, NotFound
from casework.service.users import MIN_PASSWORD_LENGTH, lookup_key, password_hasher


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account as a list shows it (no hash)."""

    email: str
    role: str
    urn: str | None
    active: bool


def _find(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == lookup_key(email))).first()
    if user is None:
        raise NotFound(f"no account for {email.strip()}")
    return user


def _change(
    session: Session,
    user: User,
    kind: AuditKind,
    actor: str,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> AccountView:
    """End the user's sessions and record `kind`, in the caller's transaction."""
    user.session_version += 1
    session.add(user)
    session.flush()
    body = {"email": user.email, "role": user.role, "account_urn": user.urn, **(detail or {})}
    append_entries(session, [AuditDraft(kind, actor, detail=body)], now)
    return AccountView(user.email, user.role, user.urn, user.active)


def disable_user(engine: sa.Engine, email: str, actor: str, now: datetime) -> AccountView:
    """Refuse new sign-ins and end every session of the account now."""
    with unit_of_work(engine) as session:
        user = _find(session, email)
        user.active = False
        return _change(session, user, AuditKind.USER_DISABLED, actor, now)


def enable_user(engine: sa.Engine, email: str, actor: str, now: datetime) -> AccountView:
    """Let a disabled account sign in again (with a fresh sign-in; old cookies stay dead)."""
    with unit_of_work(engine) as session:
        user = _find(session, email)
        user.active = True
        return _change(session, user, AuditKind.USER_ENABLED, actor, now)


def set_password(
    engine: sa.Engine, email: str, password: str, actor: str, now: datetime
) -> AccountView:
    """A new password; every session signed in with the old one ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = password_hasher().hash(password)
    with unit_of_work(engine) as session:
        user = _find(session, email)
        user.password_hash = password_hash
        return _change(session, user, AuditKind.USER_PASSWORD_CHANGED, actor, now)


def set_role(
    engine: sa.Engine, email: str, role: str, urn: str | None, actor: str, now: datetime
) -> AccountView:
    """A new role (and school); sessions holding the old role end."""
    try:
        parsed = parse_role(role)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    urn = urn.strip() if urn else None
    problem = account_problem(parsed, urn)
    if problem:
        raise InvalidRequest(problem)
    with unit_of_work(engine) as session:
        if urn is not None and session.get(School, urn) is None:
            raise InvalidRequest(f"no school with URN {urn}")
        user = _find(session, email)
        before = {"previous_role": user.role, "previous_urn": user.urn}
        user.role = parsed.value
        user.urn = urn
        return _change(session, user, AuditKind.USER_ROLE_CHANGED, actor, now, before)


def sign_out_everywhere(engine: sa.Engine, email: str, now: datetime) -> None:
    """Sign-out: every session of the account ends, here and on any other device."""
    with unit_of_work(engine) as session:
        user = session.exec(select(User).where(User.email == lookup_key(email))).first()
        if user is not None:
            _change(session, user, AuditKind.USER_SIGNED_OUT, user.email, now)


def session_user(engine: sa.Engine, email: str, version: object) -> User | None:
    """The active account a session cookie names, when its version is still current."""
    if not isinstance(version, int):
        return None
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(
            select(User).where(
                User.email == lookup_key(email),
                col(User.active).is_(True),
                User.session_version == version,
            )
        ).first()
        if user is not None:
            session.expunge(user)
        return user


def account_views(engine: sa.Engine) -> list[AccountView]:
    """Every account, by school then email."""
    with Session(engine) as session:
        users = session.exec(select(User).order_by(col(User.urn), col(User.email))).all()
        return [AccountView(u.email, u.role, u.urn, u.active) for u in users]
