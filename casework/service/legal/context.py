"""What every legal use case shares: who may decide, who receives, what the letters say.

DOMAIN rule 23 (a headteacher for their own school or an LA officer decides), rule 24 and Part 2
§8.4 (the contents of a penalty notice), §1.4 (a parent is anyone with parental responsibility
or who has care of the child), §9.2 (write to each parent separately), rule 26 (a prosecution
decision carries its offence period and its 6-month clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, select

from casework.core.calendar import RegisterSession
from casework.core.ladder.guards import professionals
from casework.core.ladder.proposals import (
    Channel,
    ContactRef,
    Proposal,
    QueueMessage,
    RecipientRole,
    RequestDecision,
)
from casework.core.ladder.recipients import base_context, long_date, message_professional
from casework.core.ladder.stages import SPECS, Stage
from casework.core.ladder.view import ContactFacts, PupilView
from casework.core.legal.penalties import NoticeTerms, format_pence, prosecution_clock
from casework.core.legal.recipients import notice_recipients
from casework.core.permissions import ROLE_TITLES, Role, may_decide
from casework.core.policy import Policy
from casework.db.snapshots import load_school
from casework.db.tables import Decision, School, User
from casework.service.errors import NotAllowed, NotFound


def child_address(view: PupilView) -> str:
    """The child's home: the address held for the first parent with one."""
    return next((c.address for c in notice_recipients(view.pupil.contacts) if c.address), "")


def tell_professionals(view: PupilView, policy: Policy, key: str, stage: Stage) -> list[Proposal]:
    """Every escalation of a pupil with a social worker, YOT worker or Virtual School (rule 9)."""
    event = SPECS[stage].title.lower()
    detail = f"{event} approved on {view.on.school_date.isoformat()}"
    return [
        message_professional(view, role, address, key, stage, event, detail)
        for role, address in professionals(view, policy)
    ]


def letter_to(
    contact: ContactFacts, key: str, template: str, stage: Stage, context: dict[str, str]
) -> QueueMessage:
    """One posted letter to one parent: legal letters go to each parent separately."""
    to = ContactRef(
        RecipientRole.PARENT,
        Channel.LETTER,
        contact.address,
        contact.contact_id,
        contact.name,
        contact.language or "en",
    )
    full = {**context, "recipient_name": contact.name, "recipient_address": contact.address}
    return QueueMessage(key, to, template, stage, full)


def officer(db: Session, actor: str, policy: Policy) -> tuple[str, str]:
    """Who signs (rule 40, DOMAIN §8.4 (c)): the person who decided, with their role; from the
    command line without --as, the authorised officer the policy file names, never `cli`."""
    user = db.exec(select(User).where(User.email == actor.strip().lower())).first()
    if user is None:
        legal = policy.legal
        return legal.authorised_officer_name, f"{legal.authorised_officer_title}, {policy.la.name}"
    title = ROLE_TITLES[Role(user.role)]
    if not user.urn:
        return user.email, f"{title}, {policy.la.name}"
    school = db.get(School, user.urn)
    name = school.name if school else user.urn
    return user.email, f"{title}, {name}, authorised by {policy.la.name}"


def offence_dates(decision: Decision) -> tuple[date, date, str]:
    """First and last day of the offence period and the sessions counted."""
    ctx = decision.context
    start = (
        ctx.get("period_start") or ctx.get("window_start") or decision.requested_date.isoformat()
    )
    end = ctx.get("period_end") or decision.requested_date.isoformat()
    return date.fromisoformat(start), date.fromisoformat(end), str(ctx.get("sessions", ""))


def _rate_note(terms: NoticeTerms, policy: Policy, forename: str) -> str:
    years = policy.legal.notice_lookback_years
    if terms.reduced_amount_pence is not None and terms.reduced_pay_by_date is not None:
        return (
            f"Paying by {long_date(terms.reduced_pay_by_date)} costs "
            f"{format_pence(terms.reduced_amount_pence)}; after that, until "
            f"{long_date(terms.pay_by_date)}, it costs {format_pence(terms.amount_pence)}."
        )
    return (
        f"This is a second notice within {years} years, so no reduced rate applies. No further "
        f"penalty notice can be given to you for {forename} within {years} years: further "
        "absence may lead to prosecution instead."
    )


def _money_context(terms: NoticeTerms, policy: Policy, forename: str) -> dict[str, str]:
    """DOMAIN §8.4 (e)-(h): the amount at each rate, the payment period, how and whom to pay."""
    legal, reduced = policy.legal, terms.reduced_amount_pence
    reduced_by = terms.reduced_pay_by_date
    return {
        "reduced_amount": format_pence(reduced) if reduced is not None else "",
        "reduced_pay_by_date_long": long_date(reduced_by) if reduced_by else "",
        "reduced_within_days": str(legal.reduced_within_days),
        "pay_within_days": str(legal.pay_within_days),
        "amount": format_pence(terms.amount_pence),
        "pay_by_date_long": long_date(terms.pay_by_date),
        "rate_note": _rate_note(terms, policy, forename),
        "la_name": policy.la.name,
        "la_address": legal.la_address,
        "payment_methods": "\n".join(legal.payment_methods),
    }


def notice_context(
    view: PupilView,
    policy: Policy,
    decision: Decision,
    terms: NoticeTerms,
    ref: str,
    signer: tuple[str, str],
) -> dict[str, str]:
    """Every item a penalty notice must contain (DOMAIN Part 2 §8.4), as letter context."""
    legal = policy.legal
    start, end, sessions = offence_dates(decision)
    served = (
        "handed to you"
        if terms.receipt_date == terms.issued_date
        else f"sent by post, treated as received {legal.deemed_receipt_working_days} "
        "working days after issue"
    )
    return {
        **base_context(view, Stage.PENALTY_NOTICE),
        "reference": ref,
        "notice_reference": ref,
        "child_address": child_address(view),
        "sequence_text": "first" if terms.sequence == 1 else "second",
        "lookback_years": str(legal.notice_lookback_years),
        "offence_period_start_long": long_date(start),
        "offence_period_end_long": long_date(end),
        "offence_sessions": sessions,
        "issue_date_long": long_date(terms.issued_date),
        "receipt_date_long": long_date(terms.receipt_date),
        "served_text": served,
        **_money_context(terms, policy, view.pupil.forename),
        "officer_name": signer[0],
        "officer_particulars": signer[1],
    }


CLI_ACTOR = "cli"  # DESIGN.md: command-line users have server access and act as `cli`


def check_decider(db: Session, actor: str, urn: str) -> None:
    """Rule 23: a headteacher for their own school, or an LA officer, decides legal steps."""
    if actor == CLI_ACTOR:
        return
    user = db.exec(select(User).where(User.email == actor.strip().lower())).first()
    if user is None or not user.active:
        raise NotAllowed(f"no active user {actor}")
    if not may_decide(user.role, user.urn, urn):
        raise NotAllowed(
            f"{actor} ({user.role}) may not decide legal steps for this school: a headteacher "
            "of the school or an LA officer must"
        )


def check_la_officer(db: Session, actor: str) -> None:
    """Rule 38: only an LA officer decides on applying for an Education Supervision Order."""
    if actor == CLI_ACTOR:
        return
    user = db.exec(select(User).where(User.email == actor.strip().lower())).first()
    if user is None or not user.active or Role(user.role) is not Role.LA_OFFICER:
        raise NotAllowed(
            f"{actor} may not decide on an Education Supervision Order: an LA officer must "
            "(the LA applies to the family court)"
        )


def load_view(db: Session, urn: str, upn: str, on: date) -> PupilView:
    """The pupil as the ladder sees them at the end of school date `on`."""
    snapshot = load_school(db, urn, on, RegisterSession.PM, only_upn=upn)
    if snapshot is None or not snapshot.pupils:
        raise NotFound(f"no pupil {upn} at school {urn}")
    return snapshot.pupils[0]


def notice_reference(notice_id: int) -> str:
    return f"PN-{notice_id:06d}"


def prosecution_request(
    source: Decision,
    key: str,
    reason: str,
    *,
    kind: str,
    contact_ids: Sequence[str],
    notice_ids: Sequence[int],
    policy: Policy,
) -> RequestDecision:
    """A decision on prosecution carrying its offence period and its 6-month clock."""
    start, end, sessions = offence_dates(source)
    last = date.fromisoformat(str(source.context.get("last_absence_date") or end.isoformat()))
    clock = prosecution_clock(last, policy.legal)
    return RequestDecision(
        Stage.PROSECUTION,
        key,
        reason,
        {
            "source": kind,
            "penalty_decision_id": str(source.id),
            "contact_ids": ",".join(contact_ids),
            "notice_ids": ",".join(str(i) for i in notice_ids),
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "sessions": sessions,
            "last_absence_date": clock.last_absence_date.isoformat(),
            "lay_by_date": clock.lay_by_date.isoformat(),
            "warn_from_date": clock.warn_from_date.isoformat(),
        },
    )
