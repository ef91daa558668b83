"""Failed sign-ins counted in the database, per account and per source address (issue 19).

An account gets 429 after `per_account` failures in the window, whatever address they come
from (guessing one person's password from many machines); an address gets 429 after
`per_address` failures, whatever accounts it tries (a password spray). The rows live in the
database, so all workers share the count and a restart forgets nothing. A successful sign-in
clears the account's own failures but never the address's (an attacker's own account must not
reset their spray count). An admin lifts a lockout with `clear_lockout`, which is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from casework.core.audit import AuditDraft, AuditKind
from casework.db.audit_log import append_entries
from casework.db.session import unit_of_work
from casework.db.tables import LoginFailure
from casework.service.users import lookup_key

_ADDRESS_LENGTH = 64


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    per_account: int = 5
    per_address: int = 10
    window: timedelta = timedelta(minutes=15)


def _count(session: Session, column: object, value: str, since: datetime) -> int:
    stmt = select(func.count()).where(column == value, col(LoginFailure.at) > since)
    return int(session.exec(stmt).one())


def is_blocked(
    engine: Engine, email: str, address: str, now: datetime, limits: ThrottleLimits
) -> bool:
    """True when the account or the address has used up its failures in the window."""
    since = now - limits.window
    with Session(engine) as session:
        if _count(session, LoginFailure.email, lookup_key(email), since) >= limits.per_account:
            return True
        address = address[:_ADDRESS_LENGTH]
        return _count(session, LoginFailure.address, address, since) >= limits.per_address


def record_failure(
    engine: Engine, email: str, address: str, now: datetime, limits: ThrottleLimits
) -> None:
    """Count one failure (and drop failures too old to count any more)."""
    with unit_of_work(engine) as session:
        session.execute(sa.delete(LoginFailure).where(col(LoginFailure.at) <= now - limits.window))
        key = lookup_key(email)[:254]
        session.add(LoginFailure(at=now, email=key, address=address[:_ADDRESS_LENGTH]))


def record_success(engine: Engine, email: str) -> None:
    """A right password: the account's own failures no longer count against it."""
    with unit_of_work(engine) as session:
        session.execute(sa.delete(LoginFailure).where(col(LoginFailure.email) == lookup_key(email)))


def clear_lockout(engine: Engine, email: str, actor: str, now: datetime) -> int:
    """Lift an account's lockout (its recorded failures); audited. Returns how many went."""
    key = lookup_key(email)
    with unit_of_work(engine) as session:
        result = session.execute(sa.delete(LoginFailure).where(col(LoginFailure.email) == key))
        cleared = int(result.rowcount or 0)  # type: ignore[attr-defined]
        detail = {"email": key, "failures_cleared": cleared}
        append_entries(
            session, [AuditDraft(AuditKind.LOGIN_LOCKOUT_CLEARED, actor, detail=detail)], now
        )
        return cleared


def locked_accounts(engine: Engine, now: datetime, limits: ThrottleLimits) -> list[str]:
    """Accounts (as typed) currently refused for too many failures, for the admin page."""
    since = now - limits.window
    with Session(engine) as session:
        stmt = (
            select(LoginFailure.email)
            .where(col(LoginFailure.at) > since)
            .group_by(col(LoginFailure.email))
            .having(func.count() >= limits.per_account)
            .order_by(col(LoginFailure.email))
        )
        return list(session.exec(stmt).all())
