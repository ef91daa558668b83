"""Who is acting, checked inside the service that acts: the one role-permission table
(casework.core.permissions.PERMISSIONS), the school scope, and the policy's widening.

The web app and the CLI check the same table before calling a service, to answer 403 or a clear
error early; this check is the one that cannot be bypassed, because it runs in the transaction
that makes the change. `cli` (the person at the server, DESIGN.md) may take any action some role
may.
"""

from __future__ import annotations

from sqlmodel import Session, select

from casework.core.permissions import ROLE_TITLES, Action, Role, allows, in_scope
from casework.core.policy import Policy
from casework.db.tables import User
from casework.service.errors import NotAllowed

CLI_ACTOR = "cli"

_WHAT: dict[Action, str] = {
    Action.RECORD_PAYMENT: "record a penalty notice as paid",
    Action.RECORD_WITHDRAWAL: "withdraw a penalty notice",
}


def check_actor(db: Session, actor: str, urn: str, action: Action, policy: Policy) -> None:
    """NotAllowed unless `actor` is `cli` or an active user whose role may take `action` at
    school `urn` (the policy may add roles for some actions)."""
    if actor == CLI_ACTOR:
        return
    user = db.exec(select(User).where(User.email == actor.strip().lower())).first()
    if user is None or not user.active:
        raise NotAllowed(f"no active user {actor}")
    widened = policy.permissions.widened(action)
    if not in_scope(user.urn, urn) or not allows(user.role, action, widened):
        who = ROLE_TITLES[Role(user.role)]
        what = _WHAT.get(action, action.value.replace("_", " "))
        raise NotAllowed(f"{actor} ({who}) may not {what}: the LA attendance service does that")
