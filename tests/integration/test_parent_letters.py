"""Letters written for their reader (issue 19): nothing a parent receives carries an internal
prompt, an id, or anything of the other parent.

Two checks: (1) the whole legal path with two parents (notices issued, left unpaid, prosecution
approved) and every message to each parent rendered as it will be sent; (2) every parent-facing
template reads only keys from a list of parent-safe keys, so no future context key such as a
decision's `reason` can reach a parent unnoticed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2
import pytest
from jinja2 import meta
from sqlmodel import Session, select

from casework.db.session import get_engine
from casework.db.tables import Message, PenaltyNotice
from casework.service.legal.context import notice_reference
from casework.service.tasks.deadlines import run_deadlines
from notifications.rendering import render
from tests.integration.test_decisions import (
    DAD,
    MUM,
    NOW,
    POLICY,
    UPN,
    approve,
    requested,
    seed,
    sweep,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "letter_templates"
# Written to staff, professionals or the court, never to a parent; `sar/` is the subject-access
# export's page, which shows the requester their own records by design.
NOT_FOR_PARENTS = ("audit/", "reports/", "la/", "professional/", "school/", "_base/", "sar/")
NOT_FOR_PARENTS_FILES = {
    "legal/bundle.html.j2",
    "legal/certificate.html.j2",
    "legal/_certificate.html.j2",
    "legal/prosecution_limit.email.j2",
}
INTERNAL_PHRASES = (
    "decide whether to prosecute for the s444",
    "days after receipt:",
    "declining withdraws",
    "decision_id",
    "prosecution decision ",
    "contact_id",
    "task",
    UPN,
)
PARENT_SAFE_KEYS = {
    "pupil_forename",
    "pupil_surname",
    "school_name",
    "school_date",
    "school_date_long",
    "stage_title",
    "reference",
    "recipient_name",
    "recipient_address",
    "la_name",
    "la_address",
    "notice_reference",
    "pay_by_date_long",
    "amount",
    "reduced_amount",
    "reduced_pay_by_date_long",
    "reduced_within_days",
    "pay_within_days",
    "issue_date_long",
    "receipt_date_long",
    "served_text",
    "sequence_text",
    "rate_note",
    "payment_methods",
    "officer_name",
    "officer_particulars",
    "offence_period_start_long",
    "offence_period_end_long",
    "offence_sessions",
    "grounds_text",
    "improvement_from_long",
    "improvement_to_long",
    "improvement_weeks",
    "support_summary",
    "withdrawal_ground_text",
    "refund_text",
    "attendance_percent",
    "sessions_missed",
    "possible_sessions",
    "late_sessions",
    "meeting_by_date_long",
    "closed_stage_title",
    "episode_days",
    "subject",
    "language",
    "lookback_years",
    "limit_months",
    "prosecuted",
    "notices",
    "period",
    "summary",
    "session",
    "child_address",
    "weeks",
    # The half-term attendance update: the child's own figures against the school's target.
    "attended_sessions",
    "band",
    "period_end_long",
    "target_percent",
    # Leave of absence: what the parent asked for and the law that applies to every family.
    "applied_on_long",
    "leave_from_long",
    "leave_to_long",
    "school_days",
    "threshold_sessions",
    "threshold_weeks",
    "return_days",
    # The school's own switchboard and office address, printed for the parent to reply to.
    "school_phone",
    "school_email",
}


FILTERS = ("local_date", "address_lines", "money")


def _parent_templates() -> list[str]:
    names = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.j2"))
    return [
        n for n in names if not n.startswith(NOT_FOR_PARENTS) and n not in NOT_FOR_PARENTS_FILES
    ]


@pytest.mark.parametrize("name", _parent_templates())
def test_parent_template_reads_only_parent_safe_keys(name: str) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES))
    env.filters.update(dict.fromkeys(FILTERS, str))  # parsing needs only their names
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0]
    used = meta.find_undeclared_variables(env.parse(source))
    used -= {"loop", "range"}
    assert used - PARENT_SAFE_KEYS == set(), f"{name} reads keys not known to be parent-safe"


def _rendered(message: Message) -> str:
    out = render(message.template, message.channel, message.language, message.context)
    return f"{out.subject}\n{out.text}"


def test_each_parent_receives_only_their_own_letters(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    seed(engine)
    sweep(engine, date(2025, 11, 14))
    approve(engine, requested(engine), date(2025, 11, 17))
    run_deadlines(engine, date(2025, 12, 17), policy=POLICY, now=NOW)
    factors = {"eso_considered": "not suitable", "contract_explored": "declined"}
    on = date(2026, 1, 15)  # after the interview invitations' time to respond (rule 36)
    approve(engine, requested(engine, "prosecution"), on, tmp_path, factors=factors)
    with Session(engine) as db:
        messages = list(db.exec(select(Message).where(Message.recipient_role == "parent")))
        notices = {n.contact_id: n for n in db.exec(select(PenaltyNotice))}
    names = {MUM: "Alex Arch", DAD: "Jo Arch"}
    templates = {m.template for m in messages}
    assert {"legal/penalty_notice", "legal/prosecution_decision"} <= templates
    for me, other in ((MUM, DAD), (DAD, MUM)):
        mine = [m for m in messages if m.recipient_ref == me]
        assert mine
        own_ref = notice_reference(notices[me].id or 0)
        forbidden = (
            names[other],
            other,
            notice_reference(notices[other].id or 0),
            *INTERNAL_PHRASES,
        )
        for message in mine:
            text = _rendered(message)
            leaks = [word for word in forbidden if word.lower() in text.lower()]
            assert leaks == [], f"{message.template} to {me} carries {leaks}"
            if message.template == "legal/penalty_notice":
                assert own_ref in text
            if message.template == "legal/prosecution_decision":
                assert "was not paid in full within 28 days" in text
