"""What the rules return: frozen proposals that the service layer applies with their audit entries.

`RequestDecision` asks a person to decide a legal step; the decision itself is a `decisions` table
row (casework.db.tables.Decision), never a value the ladder returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from casework.core.ladder.stages import Stage


class TaskKind(StrEnum):
    CALL_PARENT = "call_parent"
    HOME_VISIT = "home_visit"
    SAFEGUARDING_REVIEW = "safeguarding_review"
    ATTENDANCE_CONVERSATION = "attendance_conversation"
    ATTENDANCE_MEETING = "attendance_meeting"
    PLAN_REVIEW = "plan_review"
    CONSENT_REQUEST = "consent_request"
    SNF_COMPLETE = "snf_complete"
    TAF_MEETING = "taf_meeting"
    TAF_REVIEW = "taf_review"
    SEVERE_ABSENCE_MEETING = "severe_absence_meeting"
    LATENESS_MEETING = "lateness_meeting"
    CONTRACT_OFFER = "contract_offer"
    CONTRACT_REVIEW = "contract_review"
    NOTICE_PAYMENT = "notice_payment"
    CME_ENQUIRY = "cme_enquiry"
    REGISTER_INCOMPLETE = "register_incomplete"
    LETTER_TO_POST = "letter_to_post"
    FAMILY_UNREACHABLE = "family_unreachable"  # no channel left reaches a parent
    INTERVIEW_UNDER_CAUTION = "interview_under_caution"
    LAY_INFORMATION = "lay_information"
    COURT_OUTCOME = "court_outcome"
    PARENTING_ORDER_REVIEW = "parenting_order_review"
    ESO_HEARING = "eso_hearing"  # rule 38: the family court's answer to the application
    ESO_REVIEW = "eso_review"  # rule 38: 3 months before the order ends
    FIX_CONTACT = "fix_contact"  # an email or number bounced: find the right one
    TIMETABLE_REVIEW = "timetable_review"
    TIMETABLE_ESCALATION = "timetable_escalation"


class OwnerRole(StrEnum):
    """Who a task is for; user roles map onto these in the web queue."""

    SCHOOL_OFFICE = "school_office"
    ATTENDANCE_OFFICER = "attendance_officer"
    DSL = "dsl"  # designated safeguarding lead
    HEADTEACHER = "headteacher"
    LA_OFFICER = "la_officer"


class RecipientRole(StrEnum):
    PARENT = "parent"
    SOCIAL_WORKER = "social_worker"
    YOT_WORKER = "yot_worker"
    VIRTUAL_SCHOOL = "virtual_school"
    SCHOOL = "school"
    LA = "la"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


@dataclass(frozen=True, slots=True)
class ContactRef:
    """One recipient in one channel; `address` is E.164, an email, or a postal address."""

    role: RecipientRole
    channel: Channel
    address: str
    contact_id: str | None = None
    name: str = ""
    language: str = "en"


@dataclass(frozen=True, slots=True)
class EnterStage:
    stage: Stage
    key: str
    reason: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CloseStage:
    stage: Stage
    entry_key: str  # the key of the StageEntry being closed
    reason: str
    retract_messages: bool = False  # withdraw this stage's unsent messages (mark amended)


@dataclass(frozen=True, slots=True)
class OpenTask:
    kind: TaskKind
    key: str
    due_date: date
    owner_role: OwnerRole
    stage: Stage | None = None
    priority: int = 0
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """A message or letter to one recipient; rendered and sent from the outbox after commit."""

    key: str
    to: ContactRef
    template: str  # e.g. "first_day_call/parent": channel and language pick the file
    stage: Stage | None = None
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestDecision:
    """A legal step proposed to a person; never taken by the engine itself."""

    stage: Stage
    key: str
    reason: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MakeReferral:
    """A return or referral to the LA (attendance return, sickness return, persistent absence)."""

    key: str
    reason: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataAlert:
    key: str
    reason: str  # register_missing | register_incomplete | n_unresolved
    session: str
    context: Mapping[str, str] = field(default_factory=dict)


Proposal = (
    EnterStage | CloseStage | OpenTask | QueueMessage | RequestDecision | MakeReferral | DataAlert
)


def decision_key(upn: str, name: str, *parts: object) -> str:
    """Deterministic idempotency key: `upn:name:part:part`; the outbox and tables make it unique."""
    return ":".join([upn, name, *(str(p) for p in parts)])
