"""Who may do what: user roles, what each role may read and change, and the school-scope rule.

Pure functions over role names and school URNs, shared by the web app and the CLI's `--as`.
A school user (`urn` set) reaches only their own school; an LA-wide user (`urn` None) reaches
every school. Legal decisions follow DOMAIN.md rule 23: a headteacher for their own school, or an
LA officer anywhere.
"""

from __future__ import annotations

from enum import StrEnum

from casework.core.ladder.proposals import OwnerRole, TaskKind


class Role(StrEnum):
    SCHOOL_STAFF = "school_staff"
    ATTENDANCE_OFFICER = "attendance_officer"
    HEADTEACHER = "headteacher"
    LA_OFFICER = "la_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_TITLES: dict[Role, str] = {
    Role.SCHOOL_STAFF: "School staff",
    Role.ATTENDANCE_OFFICER: "Attendance officer",
    Role.HEADTEACHER: "Headteacher",
    Role.LA_OFFICER: "LA attendance officer",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Administrator",
}

SCHOOL_ROLES: frozenset[Role] = frozenset(
    {Role.SCHOOL_STAFF, Role.ATTENDANCE_OFFICER, Role.HEADTEACHER}
)
LA_WIDE_ROLES: frozenset[Role] = frozenset({Role.LA_OFFICER, Role.ADMIN})


class Action(StrEnum):
    """Everything a role may or may not do; PERMISSIONS says who may."""

    READ_CASES = "read_cases"
    WORK_TASKS = "work_tasks"  # acknowledge and complete caseworker tasks
    ASSIGN_TASKS = "assign_tasks"
    DECIDE_LEGAL = "decide_legal"  # approve or decline a legal step (and rule 23's school check)
    RECORD_PAYMENT = "record_payment"  # a penalty notice paid: it bars prosecution
    RECORD_WITHDRAWAL = "record_withdrawal"  # a penalty notice withdrawn
    READ_AUDIT = "read_audit"
    MANAGE_ACCOUNTS = "manage_accounts"


_ALL = frozenset(Role)
_CASEWORKERS = SCHOOL_ROLES | {Role.LA_OFFICER, Role.ADMIN}
# Penalty notices are the LA's (DOMAIN.md rules 24-26): recording one paid or withdrawn changes
# whether a parent can be prosecuted, so it is for the LA unless the policy widens it.
_LA_CASEWORK = frozenset({Role.LA_OFFICER, Role.ADMIN})

# The one role-permission table, read by the web app and by the CLI's `--as` alike.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_CASES: _ALL,
    Action.WORK_TASKS: _CASEWORKERS,
    Action.ASSIGN_TASKS: frozenset(
        {Role.ATTENDANCE_OFFICER, Role.HEADTEACHER, Role.LA_OFFICER, Role.ADMIN}
    ),
    Action.DECIDE_LEGAL: frozenset({Role.HEADTEACHER, Role.LA_OFFICER}),
    Action.RECORD_PAYMENT: _LA_CASEWORK,
    Action.RECORD_WITHDRAWAL: _LA_CASEWORK,
    Action.READ_AUDIT: frozenset(
        {Role.ATTENDANCE_OFFICER, Role.HEADTEACHER, Role.LA_OFFICER, Role.AUDITOR, Role.ADMIN}
    ),
    Action.MANAGE_ACCOUNTS: frozenset({Role.ADMIN}),
}


def allows(role: Role | str, action: Action, widened: frozenset[str] = frozenset()) -> bool:
    """May `role` take `action`? `widened`: roles the LA's policy adds for this action."""
    role = Role(role)
    return role in PERMISSIONS[action] or role.value in widened


# Which tasks land in a role's own queue ("mine"): the owner roles the engine gives tasks to.
_QUEUE_OWNERS: dict[Role, frozenset[str]] = {
    Role.SCHOOL_STAFF: frozenset({OwnerRole.SCHOOL_OFFICE}),
    Role.ATTENDANCE_OFFICER: frozenset(
        {OwnerRole.ATTENDANCE_OFFICER, OwnerRole.SCHOOL_OFFICE, OwnerRole.DSL}
    ),
    Role.HEADTEACHER: frozenset({OwnerRole.HEADTEACHER, OwnerRole.DSL}),
    Role.LA_OFFICER: frozenset({OwnerRole.LA_OFFICER}),
    Role.AUDITOR: frozenset(OwnerRole),
    Role.ADMIN: frozenset(OwnerRole),
}


def parse_role(value: str) -> Role:
    """The Role named by `value`; ValueError listing the valid names otherwise."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {value!r}: use one of {names}") from None


def account_problem(role: Role, urn: str | None) -> str | None:
    """Why an account with this role and school cannot exist, or None when it can."""
    if role in SCHOOL_ROLES and not urn:
        return f"the {role} role belongs to a school: give its URN with --school"
    if role in LA_WIDE_ROLES and urn:
        return f"the {role} role is LA-wide: leave out --school"
    return None


def in_scope(user_urn: str | None, urn: str | None) -> bool:
    """A school user reaches only their own school; an LA-wide user reaches all."""
    return user_urn is None or (urn is not None and user_urn == urn)


def is_read_only(role: Role | str) -> bool:
    """Auditors read and export; they never change anything."""
    return Role(role) is Role.AUDITOR


# Task kinds whose completion is a more particular act than ordinary casework.
_TASK_ACTIONS: dict[str, Action] = {TaskKind.NOTICE_PAYMENT.value: Action.RECORD_PAYMENT}


def task_action(kind: str) -> Action:
    """What completing a task of `kind` amounts to (a notice's payment is RECORD_PAYMENT)."""
    return _TASK_ACTIONS.get(kind, Action.WORK_TASKS)


def may_complete_task(role: Role | str, kind: str, widened: frozenset[str] = frozenset()) -> bool:
    """May acknowledge and complete a task of `kind`; `widened` from the policy's permissions."""
    return allows(role, Action.WORK_TASKS) and allows(role, task_action(kind), widened)


def may_work_tasks(role: Role | str) -> bool:
    """May acknowledge and complete caseworker tasks (in scope)."""
    return allows(role, Action.WORK_TASKS)


def may_assign_tasks(role: Role | str) -> bool:
    """May give a task to a named person."""
    return allows(role, Action.ASSIGN_TASKS)


def may_decide(role: Role | str, user_urn: str | None, pupil_urn: str) -> bool:
    """May approve or decline a legal step for a pupil at `pupil_urn` (DOMAIN.md rule 23):
    a headteacher for their own school only, an LA officer anywhere."""
    if not allows(role, Action.DECIDE_LEGAL):
        return False
    return Role(role) is not Role.HEADTEACHER or (user_urn is not None and user_urn == pupil_urn)


def may_read_audit(role: Role | str) -> bool:
    """May read and export the audit trail (within scope)."""
    return allows(role, Action.READ_AUDIT)


def queue_owner_roles(role: Role | str) -> frozenset[str]:
    """The task owner roles whose unassigned tasks form this role's own queue."""
    return _QUEUE_OWNERS[Role(role)]
