"""One vocabulary: the words people read for every code the system stores.

Stages, task kinds, outcomes, roles, statuses, audit kinds and audit detail keys each have one
human label here, used by the web app, the CLI, letters, reports and the court bundle alike, so
a code never reaches a page and a thing is called the same everywhere. Stage labels come from the
stage catalogue (a new stage's `StageSpec.title` is its label); every other StrEnum has an entry
in a table below, and tests/unit/test_labels.py fails when a value has none.

Dates are written the UK way with the year: `Tue 23 Sep 2025` in lists and tables,
`23 September 2025` in sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from babel import Locale, UnknownLocaleError

from casework.core.audit import AuditKind
from casework.core.ladder.proposals import Channel, OwnerRole, RecipientRole, TaskKind
from casework.core.ladder.stages import SPECS, Stage
from casework.core.legal.penalties import NoticeStatus
from casework.core.lifecycle import DecisionStatus, StageStatus, TaskStatus
from casework.core.permissions import ROLE_TITLES, Role

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
}

OUTCOME_LABELS: Mapping[str, str] = {
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

# The DfE's ethnicity codes (school census, main and extended headings).
ETHNICITY_LABELS: Mapping[str, str] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy or Roma",
    "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
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

# Letter and message templates are `folder/name`: the folder is a stage (or one of these), the
# name says who it is for or what it is.
TEMPLATE_FOLDERS: Mapping[str, str] = {
    "la": "LA referral",
    "professional": "Note to a professional",
    "notice_payment": "Penalty notice",
    "legal": "",
}
TEMPLATE_NAMES: Mapping[str, str] = {
    "parent": "letter to the parent or carer",
    "calling_card": "calling card",
    "retraction": "correction",
    "referral": "referral",
    "social_worker": "social worker",
    "yot_worker": "youth offending team worker",
    "virtual_school": "virtual school head",
    "reminder": "payment reminder",
    "penalty_notice": "Penalty notice",
    "prosecution_decision": "Decision to prosecute",
    "prosecution_limit": "Prosecution time limit",
    "notice_to_improve": "Notice to Improve",
    "notice_withdrawn": "Penalty notice withdrawn",
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


def ethnicity_label(code: str) -> str:
    """`WBRI` -> `White British (WBRI)`: the census heading with its code."""
    name = ETHNICITY_LABELS.get(code.upper())
    return f"{name} ({code})" if name else f"Ethnicity {code}"


def referral_label(value: object) -> str:
    return _from(REFERRAL_LABELS, value)


def detail_label(value: object) -> str:
    return _from(DETAIL_LABELS, value)


def template_label(value: object) -> str:
    """`home_visit/calling_card` -> `Home visit: calling card`; `legal/penalty_notice` ->
    `Penalty notice`."""
    folder, _, name = str(value or "").partition("/")
    part = TEMPLATE_NAMES.get(name) or _humanise(name).lower()
    title = TEMPLATE_FOLDERS[folder] if folder in TEMPLATE_FOLDERS else stage_label(folder)
    if not title:
        return part[:1].upper() + part[1:]
    return f"{title}: {part}" if part else title


def language_label(code: object) -> str:
    """`pl` -> `Polish` (the language letters and messages are sent in)."""
    text = str(code or "en")
    try:
        name = Locale.parse(text.replace("-", "_")).get_display_name("en_GB")
    except (ValueError, UnknownLocaleError):
        return text
    return str(name or text)


def format_money(pence: int | None) -> str:
    """`£160.00`."""
    return "" if pence is None else f"£{pence / 100:,.2f}"


def day_label(value: date | None) -> str:
    """`Tue 23 Sep 2025`: the date in lists and tables, always with the year."""
    if value is None:
        return ""
    return f"{value:%a} {value.day} {value:%b %Y}"


def long_date(value: date | None) -> str:
    """`23 September 2025`: the date in a sentence (GOV.UK style)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def days_overdue(due: date, today: date) -> str:
    """`3 days overdue`, `1 day overdue`, or `` when not yet due."""
    days = (today - due).days
    if days <= 0:
        return ""
    return f"{days} day{'s' if days != 1 else ''} overdue"


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
