"""One vocabulary: the words people read for every code the system stores.

Stages, task kinds, outcomes, roles, statuses, audit kinds and audit detail keys each have one
human label here, used by the web app, the CLI, letters, reports and the court bundle alike, so
a code never reaches a page and a thing is called the same everywhere. Stage labels come from the
stage catalogue (a new stage's `StageSpec.title` is its label); every other StrEnum has an entry
in a table below, and tests/unit/test_labels.py fails when a value has none.

Dates, money, languages, letter names and census codes are worded in casework.core.wording
(`Tue 23 Sep 2025` in lists and tables, `23 September 2025` in sentences).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from casework.core.audit import AuditKind
from casework.core.ladder.proposals import Channel, OwnerRole, RecipientRole, TaskKind
from casework.core.ladder.stages import SPECS, Stage
from casework.core.lifecycle import DecisionStatus, NoticeStatus, StageStatus, TaskStatus
from casework.core.permissions import ROLE_TITLES, Role
from casework.core.wording import day_label, format_money, template_label

TASK_LABELS: Mapping[str, str] = {
    TaskKind.CALL_PARENT: "Call parent",
    TaskKind.HOME_VISIT: "Home visit",
    TaskKind.SAFEGUARDING_REVIEW: "Safeguarding review",
    TaskKind.ATTENDANCE_CONVERSATION: "Attendance conversation",
    TaskKind.ATTENDANCE_MEETING: "Attendance meeting",
    TaskKind.PLAN_REVIEW: "Attendance plan review",
    TaskKind.CONSENT_REQUEST: "Ask consent for the Strengths and Needs form",
    TaskKind.SNF_COMPLETE: "Complete the Strengths and Needs form",
    TaskKind.TAF_MEETING: "Team Around the Family meeting",
    TaskKind.TAF_REVIEW: "Team Around the Family review",
    TaskKind.SEVERE_ABSENCE_MEETING: "Severe absence meeting",
    TaskKind.LATENESS_MEETING: "Lateness meeting",
    TaskKind.CONTRACT_OFFER: "Offer an attendance contract",
    TaskKind.CONTRACT_REVIEW: "Attendance contract review",
    TaskKind.NOTICE_PAYMENT: "Penalty notice payment",
    TaskKind.CME_ENQUIRY: "Child missing education enquiry",
    TaskKind.REGISTER_INCOMPLETE: "Register incomplete",
    TaskKind.LETTER_TO_POST: "Letter to post",
    TaskKind.FIX_CONTACT: "Fix a parent's email or phone number",
    TaskKind.FAMILY_UNREACHABLE: "Find another way to reach the family",
    TaskKind.TIMETABLE_REVIEW: "Review the part-time timetable",
    TaskKind.TIMETABLE_ESCALATION: "Part-time timetable past its time limit",
    TaskKind.INTERVIEW_UNDER_CAUTION: "Interview under caution",
    TaskKind.LAY_INFORMATION: "Lay information at the magistrates' court",
    TaskKind.COURT_OUTCOME: "Record the court's decision",
    TaskKind.PARENTING_ORDER_REVIEW: "Review the parenting order",
    TaskKind.ESO_HEARING: "Record the family court's answer on the ESO",
    TaskKind.ESO_REVIEW: "Review the Education Supervision Order before it ends",
}

OUTCOME_LABELS: Mapping[str, str] = {
    "reached": "Family reached",
    "full_time": "Back to full-time",
    "alternative_provision": "Alternative provision arranged",
    "sick_or_unavoidable": "Sickness or an unavoidable cause",
    "not_reached": "Family still not reached",
    "attended": "Parent attended",
    "no_response": "No response",
    "laid": "Information laid",
    "convicted": "Convicted",
    "acquitted": "Acquitted",
    "conditional_discharge": "Conditional discharge",
    "adjourned": "Adjourned",
    "withdrawn": "Withdrawn",
    "reviewed": "Reviewed",
    "made": "Order made",
    "refused": "Order refused",
    "reason_given": "Reason given",
    "no_reason_given": "No reason given",
    "no_answer": "No answer",
    "child_seen": "Child seen",
    "child_not_seen": "Child not seen",
    "referred_to_social_care": "Referred to children's social care",
    "no_further_action": "No further action",
    "held": "Held",
    "not_attended": "Family did not attend",
    "plan_agreed": "Plan agreed",
    "improving": "Improving",
    "not_improving": "Not improving",
    "consent_given": "Consent given",
    "consent_declined": "Consent declined",
    "consent_withdrawn": "Consent withdrawn",
    "needs_identified": "Needs identified",
    "no_needs_identified": "No needs identified",
    "continue": "Continue the plan",
    "close": "Close the plan",
    "signed": "Contract signed",
    "declined": "Contract declined",
    "kept": "Contract kept",
    "ended": "Contract ended (kept)",
    "breached": "Contract breached",
    "paid": "Paid",
    "located": "Child located",
    "not_located": "Child not located",
    "resolved": "Resolved",
    "posted": "Posted",
    "address_corrected": "Corrected in the school's records",
    "no_other_address": "No other email or number known",
}

OWNER_LABELS: Mapping[str, str] = {
    OwnerRole.SCHOOL_OFFICE: "School office",
    OwnerRole.ATTENDANCE_OFFICER: "Attendance officer",
    OwnerRole.DSL: "Designated safeguarding lead",
    OwnerRole.HEADTEACHER: "Headteacher",
    OwnerRole.LA_OFFICER: "LA attendance officer",
}

RECIPIENT_LABELS: Mapping[str, str] = {
    RecipientRole.PARENT: "Parent or carer",
    RecipientRole.SOCIAL_WORKER: "Social worker",
    RecipientRole.YOT_WORKER: "Youth offending team worker",
    RecipientRole.VIRTUAL_SCHOOL: "Virtual school head",
    RecipientRole.SCHOOL: "School",
    RecipientRole.LA: "LA attendance team",
}

CHANNEL_LABELS: Mapping[str, str] = {
    Channel.SMS: "Text message",
    Channel.EMAIL: "Email",
    Channel.LETTER: "Letter",
}

STATUS_LABELS: Mapping[str, str] = {
    TaskStatus.OPEN: "Open",
    TaskStatus.ACKNOWLEDGED: "Acknowledged",
    TaskStatus.OVERDUE: "Overdue",
    TaskStatus.COMPLETED: "Completed",
    StageStatus.CLOSED: "Closed",
    DecisionStatus.REQUESTED: "Waiting for a decision",
    DecisionStatus.APPROVED: "Approved",
    DecisionStatus.DECLINED: "Declined",
    NoticeStatus.ISSUED: "Issued, awaiting payment",
    NoticeStatus.PAID: "Paid",
    NoticeStatus.EXPIRED: "Unpaid after the last day to pay",
    NoticeStatus.WITHDRAWN: "Withdrawn",
}

AUDIT_LABELS: Mapping[str, str] = {
    AuditKind.DECISION_CLOSED: "Decision closed (no longer needed)",
    AuditKind.INFORMATION_LAID: "Information laid at court",
    AuditKind.COURT_OUTCOME: "Court outcome recorded",
    AuditKind.ESO_MADE: "Education Supervision Order made",
    AuditKind.ESO_REFUSED: "Education Supervision Order refused",
    AuditKind.NOTICE_POSTED: "Penalty notice posted",
    AuditKind.USER_ADDED: "Account added",
    AuditKind.USER_DISABLED: "Account disabled",
    AuditKind.USER_ENABLED: "Account enabled",
    AuditKind.USER_PASSWORD_CHANGED: "Password changed",
    AuditKind.USER_ROLE_CHANGED: "Role changed",
    AuditKind.USER_SIGNED_OUT: "Signed out",
    AuditKind.LOGIN_LOCKOUT_CLEARED: "Sign-in lockout cleared",
    AuditKind.SAR_EXPORTED: "Subject-access export made",
    AuditKind.RETENTION_APPLIED: "Retention periods applied",
    AuditKind.STAGE_ENTERED: "Stage started",
    AuditKind.STAGE_CLOSED: "Stage closed",
    AuditKind.TASK_CREATED: "Task opened",
    AuditKind.TASK_ACKNOWLEDGED: "Task acknowledged",
    AuditKind.TASK_COMPLETED: "Task completed",
    AuditKind.TASK_OVERDUE: "Task became overdue",
    AuditKind.TASK_ASSIGNED: "Task given to a person",
    AuditKind.DECISION_REQUESTED: "Decision asked for",
    AuditKind.DECISION_APPROVED: "Decision: approved",
    AuditKind.DECISION_DECLINED: "Decision: declined",
    AuditKind.MESSAGE_QUEUED: "Message written",
    AuditKind.MESSAGE_SENT: "Message sent",
    AuditKind.MESSAGE_DELIVERED: "Message delivered",
    AuditKind.MESSAGE_FAILED: "Message failed",
    AuditKind.MESSAGE_RETRACTED: "Message withdrawn before sending",
    AuditKind.MESSAGE_CANCELLED: "Message cancelled",
    AuditKind.LETTER_RENDERED: "Letter printed",
    AuditKind.NOTICE_ISSUED: "Penalty notice issued",
    AuditKind.NOTICE_PAID: "Penalty notice paid",
    AuditKind.NOTICE_EXPIRED: "Penalty notice unpaid after the time limit",
    AuditKind.NOTICE_WITHDRAWN: "Penalty notice withdrawn",
    AuditKind.REFERRAL_MADE: "Referral made to the LA",
    AuditKind.DATA_ALERT: "Register data problem",
    AuditKind.IMPORT_REJECTED: "Import row rejected",
    AuditKind.CASE_VIEWED: "Case read",
    AuditKind.SUPPORT_CONSIDERED: "Support considered",
    AuditKind.BUNDLE_CREATED: "Court bundle made",
}

REFERRAL_LABELS: Mapping[str, str] = {
    "persistent_absence": "Persistent absence",
    "unauthorised_absence": "Continuous unauthorised absence",
    "illness": "Illness: 15 school days this year (sickness return)",
}

# Keys that audit entries' details use; a key not here is shown humanised.
DETAIL_LABELS: Mapping[str, str] = {
    "owner_role": "For",
    "owner_email": "Given to",
    "task_id": "Task",
    "task_key": "Task",
    "kind": "Kind",
    "outcome": "Outcome",
    "note": "Note",
    "reason": "Reason",
    "due_date": "Due",
    "decision_id": "Decision",
    "notice_id": "Penalty notice",
    "message_id": "Message",
    "letter_id": "Letter",
    "contact_id": "Contact",
    "case_id": "Case",
    "channel": "Sent by",
    "template": "Letter or message",
    "recipient_role": "To",
    "amount_pence": "Amount",
    "pay_by": "Pay by",
    "via": "Read in",
    "page": "Page",
    "stage": "Stage",
    "key": "Reference",
    "status": "Status",
    "error": "Problem",
    "session": "Register session",
    "address": "Email or number that failed",
    "task_kind": "Task",
    "sha256": "Fingerprint",
    "sessions": "Unauthorised sessions",
    "unauthorised_sessions": "Unauthorised sessions",
    "period_start": "Absences from",
    "period_end": "Absences to",
    "last_absence_date": "Last absence",
    "window_start": "Counted from",
    "all_holiday": "All term-time holiday",
    "lay_by_date": "Time limit: last day to lay an information",
    "warn_from_date": "Time-limit warning from",
    "improvement_from": "Improvement period from",
    "improvement_to": "Improvement period to",
    "notice_ids": "Penalty notices",
    "contact_ids": "Parents",
    "penalty_decision_id": "Penalty notice decision",
    "source": "Asked for because of",
}


def _humanise(value: str) -> str:
    text = value.replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def _from(table: Mapping[str, str], value: object) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    return table.get(text) or _humanise(text)


def stage_label(value: object) -> str:
    """`team_around_family` -> `Team Around the Family` (the catalogue's title)."""
    if value is None or value == "":
        return ""
    try:
        return SPECS[Stage(str(value))].title
    except ValueError:
        return _humanise(str(value))


def task_label(value: object) -> str:
    return _from(TASK_LABELS, value)


def outcome_label(value: object) -> str:
    return _from(OUTCOME_LABELS, value)


def role_label(value: object) -> str:
    """A user role, a task's owner role or a message's recipient role."""
    text = str(value or "")
    try:
        return ROLE_TITLES[Role(text)]
    except ValueError:
        return OWNER_LABELS.get(text) or _from(RECIPIENT_LABELS, text)


def channel_label(value: object) -> str:
    return _from(CHANNEL_LABELS, value)


def status_label(value: object) -> str:
    return _from(STATUS_LABELS, value)


def audit_label(value: object) -> str:
    return _from(AUDIT_LABELS, value)


def referral_label(value: object) -> str:
    return _from(REFERRAL_LABELS, value)


def detail_label(value: object) -> str:
    return _from(DETAIL_LABELS, value)


def _iso_day(value: object) -> str:
    try:
        return day_label(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


_DETAIL_VALUES: Mapping[str, Callable[[Any], str]] = {
    "owner_role": role_label,
    "recipient_role": role_label,
    "kind": task_label,
    "task_kind": task_label,
    "outcome": outcome_label,
    "stage": stage_label,
    "channel": channel_label,
    "template": template_label,
    "amount_pence": format_money,
    "due_date": _iso_day,
    "pay_by": _iso_day,
    "status": status_label,
}


def _plain(value: object) -> str:
    """`true` -> `Yes`, `2025-09-08` -> `Mon 8 Sep 2025`; anything else as it is."""
    text = str(value)
    if text.lower() in ("true", "false"):
        return "Yes" if text.lower() == "true" else "No"
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return _iso_day(text)
    return text


def detail_text(key: str, value: object) -> str:
    """A detail's value in words: roles, kinds, stages, money, yes/no and dates labelled."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return day_label(value)
    convert = _DETAIL_VALUES.get(key)
    return convert(value) if convert else _plain(value)
