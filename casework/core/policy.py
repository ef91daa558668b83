"""The LA's policy: every ladder number, as frozen pydantic models checked when the file loads.

The defaults here mirror `policy_default.toml` (a unit test holds them equal); an LA's own file
only needs the keys it changes.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from casework.core.ladder.stages import SPECS, Stage
from casework.core.permissions import Action, Role
from casework.core.retention import RecordType

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy_default.toml")


class PolicyError(ValueError):
    """The policy file is not valid; the message names the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LaSection(_Section):
    name: str = "Synthetic County Council"
    virtual_school_email: str = "virtual.school@la.example.org"
    attendance_team_email: str = "attendance.team@la.example.org"


class StagesSection(_Section):
    disabled: tuple[Stage, ...] = ()

    @field_validator("disabled")
    @classmethod
    def _only_optional(cls, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        fixed = [s.value for s in stages if not SPECS[s].optional]
        if fixed:
            raise ValueError(f"these stages cannot be switched off: {', '.join(fixed)}")
        return stages


class BandsSection(_Section):
    concern_below_percent: int = Field(95, gt=90, le=100)
    min_possible_sessions: int = Field(20, ge=0)
    recovery_school_weeks: int = Field(6, ge=1)


class AbsenceSection(_Section):
    home_visit_on_day: int = Field(3, ge=1)
    la_referral_unauthorised_days: int = Field(10, ge=1)
    cme_enquiry_days: int = Field(20, ge=1)
    illness_referral_days: int = Field(15, ge=1)
    n_unresolved_school_days: int = Field(5, ge=1)

    @model_validator(mode="after")
    def _in_order(self) -> AbsenceSection:
        if not self.home_visit_on_day < self.la_referral_unauthorised_days < self.cme_enquiry_days:
            raise ValueError(
                "home_visit_on_day < la_referral_unauthorised_days < cme_enquiry_days must hold"
            )
        return self


class SupportSection(_Section):
    attendance_meeting_due_school_days: int = Field(10, ge=0)
    plan_review_school_weeks: int = Field(6, ge=1)
    snf_complete_due_school_days: int = Field(20, ge=0)
    consent_request_due_school_days: int = Field(5, ge=0)
    taf_meeting_due_school_days: int = Field(15, ge=0)
    taf_review_school_weeks: int = Field(6, ge=1)
    severe_meeting_due_school_days: int = Field(5, ge=0)
    lateness_marks: int = Field(10, ge=1)
    lateness_window_school_weeks: int = Field(6, ge=1)
    lateness_meeting_due_school_days: int = Field(10, ge=0)
    contract_offer_due_school_days: int = Field(10, ge=0)
    contract_review_school_weeks: int = Field(4, ge=1)
    concern_conversation_due_school_days: int = Field(5, ge=0)


class LegalSection(_Section):
    threshold_sessions: int = Field(10, ge=1)
    threshold_school_weeks: int = Field(10, ge=1)
    nti_school_weeks: int = Field(6, ge=1)
    deemed_receipt_working_days: int = Field(2, ge=0)
    first_notice_pence: int = Field(16000, gt=0)
    first_notice_reduced_pence: int = Field(8000, gt=0)
    reduced_within_days: int = Field(21, ge=1)
    pay_within_days: int = Field(28, ge=1)
    second_notice_pence: int = Field(16000, gt=0)
    notice_lookback_years: int = Field(3, ge=1)
    framework_start_date: date = date(2024, 8, 19)
    prosecution_limit_months: int = Field(6, ge=1)
    prosecution_warning_weeks: int = Field(4, ge=1)
    notice_service: Literal["post", "hand"] = "post"
    support_considered_valid_school_weeks: int = Field(12, ge=1)
    payment_reminder_days_before: int = Field(7, ge=0)
    iuc_response_school_days: int = Field(10, ge=1)
    court_outcome_due_weeks: int = Field(8, ge=1)
    eso_months: int = Field(12, ge=1)  # rule 38: an ESO lasts a year (Children Act 1989 Sch 3)
    eso_review_months_before: int = Field(3, ge=1)  # rule 38: the review before it ends
    eso_hearing_due_weeks: int = Field(8, ge=1)  # local choice: chase the court's answer
    # Rule 40: who signs a notice decided from the command line without --as.
    authorised_officer_name: str = Field("J. Smith", min_length=1)
    authorised_officer_title: str = Field("Attendance Enforcement Officer", min_length=1)
    la_address: str = "Attendance Service, County Hall, 1 Shire Street, Synthetictown, ST1 1AA"
    payment_methods: tuple[str, ...] = (
        "Online at https://pay.la.example.org/penalty-notices, quoting the notice reference",
        "By telephone on 0300 000 0000 with a debit or credit card, quoting the notice reference",
        "By cheque payable to Synthetic County Council, posted to the address given in this "
        "notice with the notice reference written on the back",
    )

    @model_validator(mode="after")
    def _in_order(self) -> LegalSection:
        if self.first_notice_reduced_pence >= self.first_notice_pence:
            raise ValueError("first_notice_reduced_pence must be below first_notice_pence")
        if self.reduced_within_days >= self.pay_within_days:
            raise ValueError("reduced_within_days must be below pay_within_days")
        return self


class LeaveSection(_Section):
    """DOMAIN rules 32-35: leave of absence, part-time timetables, regular updates."""

    leave_return_school_days: int = Field(10, ge=1)  # rule 32 (reg 9(1)(h))
    part_time_review_school_weeks: int = Field(2, ge=1)  # rule 33
    part_time_max_school_weeks: int = Field(6, ge=1)  # rule 33
    part_time_close_school_weeks: int = Field(2, ge=1)  # rule 33: weeks without C2 close it
    parent_update: Literal["half_term", "off"] = "half_term"  # rule 35 (local choice)


class TasksSection(_Section):
    overdue_escalates_to: str = "headteacher"


class MessagesSection(_Section):
    """How long an unreachable provider is ridden out before the family is tried another way."""

    # GOV.UK Notify keeps trying for 72 hours: longer than any real Twilio or relay outage.
    retry_horizon_hours: int = Field(72, ge=1, le=24 * 14)
    retry_max_interval_minutes: int = Field(60, ge=1)

    @model_validator(mode="after")
    def _interval_inside_horizon(self) -> MessagesSection:
        if self.retry_max_interval_minutes > self.retry_horizon_hours * 60:
            raise ValueError("retry_max_interval_minutes must not exceed retry_horizon_hours")
        return self


class PermissionsSection(_Section):
    """Roles besides the LA's own (la_officer, admin) allowed to record a penalty notice paid or
    withdrawn; both change whether a parent can be prosecuted, so the default adds none."""

    record_payment_extra_roles: tuple[Role, ...] = ()
    record_withdrawal_extra_roles: tuple[Role, ...] = ()

    def widened(self, action: Action) -> frozenset[str]:
        """The extra roles this policy allows for `action` (none for other actions)."""
        extra = {
            Action.RECORD_PAYMENT: self.record_payment_extra_roles,
            Action.RECORD_WITHDRAWAL: self.record_withdrawal_extra_roles,
        }.get(action, ())
        return frozenset(role.value for role in extra)


class RetentionSection(_Section):
    """Years each kind of record is kept, each from its own date (casework/core/retention.py).
    Registers must be kept at least 6 years (rule 28); the IRMS toolkit keeps a pupil's record
    until they are 25."""

    marks_years: int = Field(6, ge=6)
    messages_years: int = Field(6, ge=1)
    letters_years: int = Field(6, ge=1)
    tasks_years: int = Field(6, ge=1)
    stages_years: int = Field(6, ge=1)
    pupil_years_after_birth: int = Field(25, ge=18)
    audit_years: int = Field(7, ge=1)

    def periods(self) -> dict[RecordType, int]:
        return {
            RecordType.MARKS: self.marks_years,
            RecordType.MESSAGES: self.messages_years,
            RecordType.LETTERS: self.letters_years,
            RecordType.TASKS: self.tasks_years,
            RecordType.STAGES: self.stages_years,
            RecordType.PUPILS: self.pupil_years_after_birth,
            RecordType.AUDIT: self.audit_years,
        }


class Policy(_Section):
    la: LaSection = LaSection()
    stages: StagesSection = StagesSection()
    bands: BandsSection = BandsSection()
    absence: AbsenceSection = AbsenceSection()
    support: SupportSection = SupportSection()
    legal: LegalSection = LegalSection()
    leave: LeaveSection = LeaveSection()
    tasks: TasksSection = TasksSection()
    messages: MessagesSection = MessagesSection()
    permissions: PermissionsSection = PermissionsSection()
    retention: RetentionSection = RetentionSection()

    def enabled(self, stage: Stage) -> bool:
        return stage not in self.stages.disabled


def parse_policy(data: dict[str, Any]) -> Policy:
    """Validate a policy mapping; errors name the dotted key."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"invalid policy: {problems}") from exc


def load_policy(path: Path | None = None) -> Policy:
    """The LA's policy file, or the shipped default when `path` is None."""
    source = path or DEFAULT_POLICY_FILE
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {source}: {exc}") from exc
    return parse_policy(data)
