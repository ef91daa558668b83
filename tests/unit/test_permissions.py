"""Roles, scope and who may do what (casework.core.permissions): pure rules, no database."""

from __future__ import annotations

import pytest

from casework.core.permissions import (
    LA_WIDE_ROLES,
    SCHOOL_ROLES,
    Role,
    account_problem,
    in_scope,
    is_read_only,
    may_assign_tasks,
    may_decide,
    may_read_audit,
    may_work_tasks,
    parse_role,
    queue_owner_roles,
)

A, B = "100001", "100002"


class TestAccounts:
    @pytest.mark.parametrize("role", sorted(SCHOOL_ROLES))
    def test_school_role_needs_a_school(self, role: Role) -> None:
        """School staff, attendance officers and headteachers belong to one school."""
        assert account_problem(role, None) is not None
        assert account_problem(role, A) is None

    @pytest.mark.parametrize("role", sorted(LA_WIDE_ROLES))
    def test_la_wide_role_refuses_a_school(self, role: Role) -> None:
        """LA officers and admins work across the LA and are never tied to a school."""
        assert account_problem(role, A) is not None
        assert account_problem(role, None) is None

    def test_auditor_may_be_either(self) -> None:
        """A governor audits one school; an LA auditor or a court reads the whole LA."""
        assert account_problem(Role.AUDITOR, A) is None
        assert account_problem(Role.AUDITOR, None) is None

    def test_unknown_role_is_named_in_the_error(self) -> None:
        with pytest.raises(ValueError, match=r"teacher.*school_staff"):
            parse_role("teacher")
        assert parse_role("la_officer") is Role.LA_OFFICER


class TestScope:
    @pytest.mark.parametrize(
        ("user_urn", "urn", "expected"),
        [(A, A, True), (A, B, False), (None, A, True), (None, B, True), (A, None, False)],
    )
    def test_school_user_reaches_own_school_only(
        self, user_urn: str | None, urn: str | None, expected: bool
    ) -> None:
        assert in_scope(user_urn, urn) is expected


class TestActions:
    @pytest.mark.parametrize("role", list(Role))
    def test_only_auditor_is_read_only_and_only_read_only_cannot_work_tasks(
        self, role: Role
    ) -> None:
        """Auditors read and export; every other role works tasks in scope."""
        assert is_read_only(role) is (role is Role.AUDITOR)
        assert may_work_tasks(role) is (role is not Role.AUDITOR)

    @pytest.mark.parametrize(
        ("role", "user_urn", "pupil_urn", "expected"),
        [
            (Role.HEADTEACHER, A, A, True),
            (Role.HEADTEACHER, A, B, False),
            (Role.LA_OFFICER, None, A, True),
            (Role.LA_OFFICER, None, B, True),
            (Role.ATTENDANCE_OFFICER, A, A, False),
            (Role.SCHOOL_STAFF, A, A, False),
            (Role.AUDITOR, A, A, False),
            (Role.AUDITOR, None, A, False),
            (Role.ADMIN, None, A, False),
        ],
    )
    def test_only_headteacher_for_own_school_or_la_officer_decides(
        self, role: Role, user_urn: str | None, pupil_urn: str, expected: bool
    ) -> None:
        """DOMAIN.md rule 23: the decider is the school's headteacher or an LA officer."""
        assert may_decide(role, user_urn, pupil_urn) is expected

    def test_school_staff_neither_assigns_nor_reads_the_audit_trail(self) -> None:
        assert not may_assign_tasks(Role.SCHOOL_STAFF)
        assert not may_read_audit(Role.SCHOOL_STAFF)
        assert may_read_audit(Role.AUDITOR)
        assert not may_assign_tasks(Role.AUDITOR)

    def test_role_names_accepted_as_strings(self) -> None:
        """The CLI's --as and stored accounts hand roles over as plain strings."""
        assert may_decide("headteacher", A, A)
        assert is_read_only("auditor")


class TestQueues:
    def test_each_role_has_a_queue_and_school_staff_see_the_office_tasks(self) -> None:
        assert queue_owner_roles(Role.SCHOOL_STAFF) == {"school_office"}
        assert "dsl" in queue_owner_roles(Role.ATTENDANCE_OFFICER)
        assert queue_owner_roles(Role.LA_OFFICER) == {"la_officer"}
        assert all(queue_owner_roles(role) for role in Role)
