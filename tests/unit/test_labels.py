"""The one vocabulary: every stored code has a human label, and dates carry their year."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pytest

from casework.core import labels, wording
from casework.core.audit import AuditKind
from casework.core.ladder.outcomes import FOLLOW_UPS, OUTCOMES
from casework.core.ladder.proposals import Channel, OwnerRole, RecipientRole, TaskKind
from casework.core.ladder.stages import SPECS, Stage
from casework.core.lifecycle import DecisionStatus, NoticeStatus, StageStatus, TaskStatus
from casework.core.next_steps import NEXT_STEPS, next_step
from casework.core.permissions import ROLE_TITLES, Role

TABLES: list[tuple[type[StrEnum], object]] = [
    (TaskKind, labels.TASK_LABELS),
    (OwnerRole, labels.OWNER_LABELS),
    (RecipientRole, labels.RECIPIENT_LABELS),
    (Channel, labels.CHANNEL_LABELS),
    (AuditKind, labels.AUDIT_LABELS),
    (TaskStatus, labels.STATUS_LABELS),
    (StageStatus, labels.STATUS_LABELS),
    (DecisionStatus, labels.STATUS_LABELS),
    (NoticeStatus, labels.STATUS_LABELS),
    (Role, ROLE_TITLES),
]


@pytest.mark.parametrize(("enum", "table"), TABLES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_enum_value_has_its_own_label(enum: type[StrEnum], table: dict[str, str]) -> None:
    missing = [member.value for member in enum if member.value not in table]
    assert missing == []


def test_every_stage_has_a_catalogue_title() -> None:
    assert set(Stage) == set(SPECS)
    assert labels.stage_label("team_around_family") == "Team Around the Family"


def test_every_outcome_has_a_label_and_every_follow_up_a_next_step() -> None:
    outcomes = {outcome for values in OUTCOMES.values() for outcome in values}
    assert sorted(outcomes - set(labels.OUTCOME_LABELS)) == []
    assert sorted(set(FOLLOW_UPS) - set(NEXT_STEPS)) == []
    assert next_step("call_parent", "no_answer") == next_step("taf_meeting", "held")
    assert "safeguarding" in next_step("home_visit", "child_not_seen")


@pytest.mark.parametrize(
    ("code", "label"),
    [
        (labels.task_label("taf_meeting"), "Team Around the Family meeting"),
        (labels.task_label("snf_complete"), "Complete the Strengths and Needs form"),
        (labels.task_label("cme_enquiry"), "Child missing education enquiry"),
        (labels.role_label("dsl"), "Designated safeguarding lead"),
        (labels.role_label("la_officer"), "LA attendance officer"),
        (labels.role_label("la"), "LA attendance team"),
        (labels.role_label("parent"), "Parent or carer"),
        (labels.audit_label("task.completed"), "Task completed"),
        (labels.detail_label("owner_role"), "For"),
        (labels.channel_label("sms"), "Text message"),
        (labels.outcome_label("not_attended"), "Family did not attend"),
        (labels.task_label("something_new"), "Something new"),
        (labels.task_label(None), ""),
    ],
)
def test_labels_read_as_words_not_codes(code: str, label: str) -> None:
    assert code == label


def test_dates_carry_the_year() -> None:
    assert wording.day_label(date(2025, 9, 23)) == "Tue 23 Sep 2025"
    assert wording.long_date(date(2025, 9, 8)) == "8 September 2025"
    assert wording.day_label(None) == ""
    assert wording.days_overdue(date(2025, 9, 20), date(2025, 9, 23)) == "3 days overdue"
    assert wording.days_overdue(date(2025, 9, 22), date(2025, 9, 23)) == "1 day overdue"
    assert wording.days_overdue(date(2025, 9, 23), date(2025, 9, 23)) == ""
    assert wording.format_money(16000) == "£160.00"


@pytest.mark.parametrize(
    ("template", "label"),
    [
        ("home_visit/calling_card", "Home visit: calling card"),
        ("first_day_call/parent", "First-day call: letter to the parent or carer"),
        ("legal/penalty_notice", "Penalty notice"),
        ("notice_payment/reminder", "Penalty notice: payment reminder"),
    ],
)
def test_letters_are_named_by_what_they_are(template: str, label: str) -> None:
    assert wording.template_label(template) == label


def test_audit_details_read_as_words() -> None:
    assert labels.detail_text("owner_role", "headteacher") == "Headteacher"
    assert labels.detail_text("due_date", "2025-09-23") == "Tue 23 Sep 2025"
    assert labels.detail_text("amount_pence", 16000) == "£160.00"
    assert labels.detail_text("all_holiday", False) == "No"
    assert labels.detail_text("task_id", 480) == "480"


def test_decision_evidence_reads_as_words() -> None:
    assert labels.detail_label("all_holiday") == "All term-time holiday"
    assert labels.detail_text("all_holiday", "false") == "No"
    assert labels.detail_text("period_start", "2025-09-05") == "Fri 5 Sep 2025"
    assert labels.detail_text("reason", "10 sessions") == "10 sessions"
