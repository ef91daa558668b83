"""The role-permission table (casework/core/permissions.py), one test per cell (issue 19): the
matrix below is written out by hand, so a change to the table has to be a change to this test."""

from __future__ import annotations

import pytest

from casework.core.permissions import (
    PERMISSIONS,
    Action,
    Role,
    allows,
    may_complete_task,
    may_decide,
    task_action,
)
from casework.core.policy import PolicyError, parse_policy

S, AO, H, L, AU, AD = (
    Role.SCHOOL_STAFF,
    Role.ATTENDANCE_OFFICER,
    Role.HEADTEACHER,
    Role.LA_OFFICER,
    Role.AUDITOR,
    Role.ADMIN,
)
EXPECTED: dict[Action, set[Role]] = {
    Action.READ_CASES: {S, AO, H, L, AU, AD},
    Action.WORK_TASKS: {S, AO, H, L, AD},
    Action.ASSIGN_TASKS: {AO, H, L, AD},
    Action.DECIDE_LEGAL: {H, L},
    Action.RECORD_PAYMENT: {L, AD},
    Action.RECORD_WITHDRAWAL: {L, AD},
    Action.READ_AUDIT: {AO, H, L, AU, AD},
    Action.MANAGE_ACCOUNTS: {AD},
}
CELLS = [(action, role) for action in Action for role in Role]


def test_every_action_is_in_the_table_and_in_this_test() -> None:
    assert set(PERMISSIONS) == set(EXPECTED) == set(Action)


@pytest.mark.parametrize(("action", "role"), CELLS, ids=[f"{a}-{r}" for a, r in CELLS])
def test_cell(action: Action, role: Role) -> None:
    assert allows(role, action) is (role in EXPECTED[action])


@pytest.mark.parametrize("role", list(Role))
def test_recording_a_payment_is_completing_a_notice_payment_task(role: Role) -> None:
    """Ordinary tasks need casework; a notice_payment task needs RECORD_PAYMENT as well."""
    assert task_action("notice_payment") is Action.RECORD_PAYMENT
    assert task_action("home_visit") is Action.WORK_TASKS
    assert may_complete_task(role, "home_visit") is (role in EXPECTED[Action.WORK_TASKS])
    assert may_complete_task(role, "notice_payment") is (role in {L, AD})


def test_policy_widening_adds_roles_to_one_action_only() -> None:
    policy = parse_policy({"permissions": {"record_payment_extra_roles": ["headteacher"]}})
    widened = policy.permissions.widened(Action.RECORD_PAYMENT)
    assert may_complete_task(H, "notice_payment", widened)
    assert not may_complete_task(S, "notice_payment", widened)
    assert policy.permissions.widened(Action.RECORD_WITHDRAWAL) == frozenset()
    # Widening cannot give an auditor casework: they still may not work tasks at all.
    auditors = parse_policy({"permissions": {"record_payment_extra_roles": ["auditor"]}})
    assert not may_complete_task(
        AU, "notice_payment", auditors.permissions.widened(Action.RECORD_PAYMENT)
    )


def test_policy_with_an_unknown_role_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError, match=r"permissions\.record_payment_extra_roles"):
        parse_policy({"permissions": {"record_payment_extra_roles": ["caretaker"]}})


@pytest.mark.parametrize(
    ("role", "user_urn", "pupil_urn", "expected"),
    [
        (H, "100001", "100001", True),
        (H, "100002", "100001", False),
        (L, None, "100001", True),
        (AD, None, "100001", False),
        (AO, "100001", "100001", False),
    ],
)
def test_legal_decisions_follow_rule_23(
    role: Role, user_urn: str | None, pupil_urn: str, expected: bool
) -> None:
    assert may_decide(role, user_urn, pupil_urn) is expected
