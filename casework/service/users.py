"""Web and `--as` accounts: add a user, look one up, check a password (argon2 via pwdlib).

An account has one role (casework.core.permissions.Role). School roles belong to one school, which
must exist; LA-wide roles have none; an auditor may be either. Emails are stored normalised and
lower-case, so sign-in and `--as` do not depend on how someone typed their address.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from email_validator import EmailNotValidError, validate_email
from pwdlib import PasswordHash
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.audit import AuditDraft, AuditKind
from casework.core.permissions import Role, account_problem, parse_role
from casework.db.audit_log import append_entries
from casework.db.session import read_snapshot, unit_of_work
from casework.db.tables import School, User
from casework.service.errors import InvalidRequest

MIN_PASSWORD_LENGTH = 10


@cache
def password_hasher() -> PasswordHash:
    """The one argon2 hasher (pwdlib's recommended parameters)."""
    return PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so a failed sign-in takes the same time
    # whether or not the account exists.
    return password_hasher().hash("not-a-real-password-for-timing")


def normalise_email(email: str) -> str:
    """The address as stored: validated syntax (no DNS lookup), lower-case."""
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidRequest(f"not a valid email address: {exc}") from None
    return valid.normalized.lower()


def lookup_key(email: str) -> str:
    """How a typed address is matched against the stored (lower-case) one."""
    return email.strip().lower()


def add_user(
    engine: Engine,
    email: str,
    role: str,
    urn: str | None,
    password: str,
    now: datetime,
    actor: str = "cli",
    full_name: str = "",
) -> User:
    """Create an account (and its audit entry); InvalidRequest for a bad role, school, email,
    password or duplicate."""
    try:
        parsed = parse_role(role)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    urn = urn.strip() if urn else None
    problem = account_problem(parsed, urn)
    if problem:
        raise InvalidRequest(problem)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    address = normalise_email(email)
    password_hash = password_hasher().hash(password)
    with unit_of_work(engine) as session:
        if urn is not None and session.get(School, urn) is None:
            raise InvalidRequest(f"no school with URN {urn}")
        if session.exec(select(User).where(User.email == address)).first() is not None:
            raise InvalidRequest(f"an account for {address} already exists")
        user = User(
            email=address,
            full_name=" ".join(full_name.split())[:120],
            role=parsed.value,
            urn=urn,
            password_hash=password_hash,
            created_at=now,
            active=True,
        )
        session.add(user)
        session.flush()
        detail = {"email": address, "role": parsed.value, "account_urn": urn}
        append_entries(session, [AuditDraft(AuditKind.USER_ADDED, actor, detail=detail)], now)
        session.expunge(user)
    return user


def get_user(engine: Engine, email: str) -> User | None:
    """The active account for `email`, or None."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(
            select(User).where(User.email == lookup_key(email), col(User.active).is_(True))
        ).first()
        if user is not None:
            session.expunge(user)
        return user


def authenticate(engine: Engine, email: str, password: str) -> User | None:
    """The account when `password` is right for an active `email`, else None."""
    user = get_user(engine, email)
    if user is None:
        password_hasher().verify(password, _dummy_hash())
        return None
    ok, new_hash = password_hasher().verify_and_update(password, user.password_hash)
    if not ok:
        return None
    if new_hash is not None:
        # The hashing parameters moved on since this password was set: store the stronger hash.
        with unit_of_work(engine) as session:
            row = session.get(User, user.id)
            if row is not None:
                row.password_hash = new_hash
        user.password_hash = new_hash
    return user


def user_role(user: User) -> Role:
    """The user's role as a Role."""
    return Role(user.role)


def names_by_email(engine: Engine, emails: Iterable[str | None] | None = None) -> dict[str, str]:
    """Each account's person name by email (every account when `emails` is None); an account
    with no name set is shown by its email."""
    stmt = select(User.email, User.full_name)
    if emails is not None:
        stmt = stmt.where(col(User.email).in_(sorted({e for e in emails if e})))
    # A snapshot read: pages call this while their own request session is open.
    with read_snapshot(engine) as session:
        return {email: name or email for email, name in session.exec(stmt).all()}
