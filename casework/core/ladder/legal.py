"""Legal steps — notice to improve, penalty notice, prosecution — only ever proposed to a person.

DOMAIN.md rules 19–26. The threshold (10 sessions of G N O U in 10 school weeks) opens a
*decision*, never a notice: all term-time holiday -> a decision on a penalty notice; otherwise a
decision on a Notice to Improve first. An approved Notice to Improve runs an improvement period
in which any further unauthorised session is a breach -> a decision on a penalty notice. A
prosecution decision still waiting as its 6-month limit nears warns the LA attendance team.
Only a pupil of compulsory school age ever reaches a legal step, and while a legal decision is
waiting for a person nothing asks for another.
"""

from __future__ import annotations

from datetime import date

from casework.core.codes import HOLIDAY_UNAUTHORISED, PENALTY
from casework.core.ladder.leave import refused_leave_evidence
from casework.core.ladder.proposals import (
    Channel,
    CloseStage,
    ContactRef,
    Proposal,
    QueueMessage,
    RecipientRole,
    RequestDecision,
)
from casework.core.ladder.recipients import base_context, long_date
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from casework.core.ladder.view import (
    DecisionState,
    PupilView,
    StageState,
    could_reach_behind_window,
)
from casework.core.legal.penalties import add_years, is_compulsory_school_age
from casework.core.legal.threshold import count_from, counted_sessions
from casework.core.marks import SessionMark
from casework.core.policy import Policy

REQUESTED = "requested"
APPROVED = "approved"
LIMIT_TEMPLATE = "legal/prosecution_limit"


def is_of_compulsory_school_age(view: PupilView) -> bool:
    return is_compulsory_school_age(view.pupil.date_of_birth, view.on.school_date)


def has_pending_legal_decision(view: PupilView) -> bool:
    """A legal decision is waiting for a person: nothing may ask for another meanwhile.

    An ESO decision waits beside a prosecution decision (rule 38): it holds nothing back."""
    return any(
        d.status == REQUESTED
        and d.stage in LEGAL_STAGES
        and d.stage is not Stage.EDUCATION_SUPERVISION_ORDER
        for d in view.case.decisions
    )


def offence_context(sessions: list[SessionMark]) -> dict[str, str]:
    return {
        "sessions": str(len(sessions)),
        "period_start": sessions[0].school_date.isoformat(),
        "period_end": sessions[-1].school_date.isoformat(),
        "last_absence_date": sessions[-1].school_date.isoformat(),
    }


def _recent_notice_to_improve(view: PupilView, policy: Policy) -> DecisionState | None:
    since = add_years(view.on.school_date, -policy.legal.notice_lookback_years)
    return next(
        (
            d
            for d in view.case.decisions
            if d.stage is Stage.NOTICE_TO_IMPROVE
            and d.status == APPROVED
            and d.decided_date is not None
            and d.decided_date > since
        ),
        None,
    )


def threshold_step(view: PupilView, policy: Policy, all_holiday: bool) -> tuple[Stage, str]:
    """Which legal step the threshold asks a person about, and why (DOMAIN rule 20)."""
    if all_holiday:
        return Stage.PENALTY_NOTICE, ", all term-time holiday (support is not appropriate)"
    if not policy.enabled(Stage.NOTICE_TO_IMPROVE):
        return Stage.PENALTY_NOTICE, " (the LA's policy has no Notice to Improve step)"
    earlier = _recent_notice_to_improve(view, policy)
    if earlier is not None and earlier.decided_date is not None:
        given = earlier.decided_date.isoformat()
        return Stage.PENALTY_NOTICE, f"; a Notice to Improve was already given on {given}"
    return Stage.NOTICE_TO_IMPROVE, ""


def threshold_sessions(view: PupilView, policy: Policy) -> tuple[date, list[SessionMark]]:
    legal = policy.legal
    window = view.calendar.school_week_start(view.on.school_date, legal.threshold_school_weeks)
    since = count_from(window, view.case.decisions)
    return since, counted_sessions(view.marks, since)


def _threshold_watched(view: PupilView) -> bool:
    return (
        is_of_compulsory_school_age(view)
        and not has_pending_legal_decision(view)
        and view.case.open_stage(Stage.NOTICE_TO_IMPROVE) is None  # its own rule watches
    )


def needs_marks_behind_window(view: PupilView, policy: Policy) -> bool:
    """The threshold's weeks reach behind the sweep's raw-mark window and, counted by week (an
    upper bound on every narrower count the rule makes), could reach the threshold: the rule
    needs those marks themselves."""
    prior = view.prior
    if prior is None or not prior.penalty_weeks or not _threshold_watched(view):
        return False
    legal = policy.legal
    return could_reach_behind_window(
        view, prior.penalty_weeks, legal.threshold_school_weeks, PENALTY, legal.threshold_sessions
    )


@rule(Stage.PENALTY_NOTICE)
def penalty_threshold(view: PupilView, policy: Policy) -> list[Proposal]:
    """>= 10 sessions of G N O U in the last 10 school weeks: ask a person to decide."""
    if not _threshold_watched(view):
        return []
    since, sessions = threshold_sessions(view, policy)
    if len(sessions) < policy.legal.threshold_sessions:
        return []
    all_holiday = all(m.code in HOLIDAY_UNAUTHORISED for m in sessions)
    stage, why = threshold_step(view, policy, all_holiday)
    key = f"{view.upn}:{stage.value}:decision:{view.on.school_date.isoformat()}"
    if view.case.has(key):
        return []
    refused, evidence = refused_leave_evidence(view, sessions)
    reason = (
        f"{len(sessions)} unauthorised sessions in the last "
        f"{policy.legal.threshold_school_weeks} school weeks{why}{refused}"
    )
    context = {
        **offence_context(sessions),
        "window_start": since.isoformat(),
        "all_holiday": str(all_holiday).lower(),
        **evidence,
    }
    return [RequestDecision(stage, key, reason, context)]


def _improvement_dates(entry: StageState) -> tuple[date, date] | None:
    start, end = entry.context.get("improvement_from"), entry.context.get("improvement_to")
    if not start or not end:
        return None
    return date.fromisoformat(start), date.fromisoformat(end)


def _breach_offence(
    view: PupilView, entry: StageState, breaches: list[SessionMark]
) -> dict[str, str]:
    """Rules 20 and 24: the penalty notice names the sessions the Notice to Improve warned
    about as well as the breach, from the first of them to the last."""
    offence = offence_context(breaches)
    warned = next(
        (d for d in view.case.decisions if f"{d.key}:stage" == entry.key and d.context), None
    )
    if warned is None or not warned.context.get("period_start"):
        return offence
    earlier = int(warned.context.get("sessions") or 0)
    return {
        **offence,
        "period_start": warned.context["period_start"],
        "sessions": str(earlier + len(breaches)),
        "warned_sessions": str(earlier),
        "breach_sessions": str(len(breaches)),
    }


def _breach(view: PupilView, entry: StageState, breaches: list[SessionMark]) -> list[Proposal]:
    key = f"{entry.key}:breach"
    if view.case.has(key) or has_pending_legal_decision(view):
        return []
    first = breaches[0].school_date.isoformat()
    reason = (
        f"Notice to Improve breached: {len(breaches)} unauthorised session(s) in the "
        f"improvement period, the first on {first}"
    )
    context = {
        **_breach_offence(view, entry, breaches),
        "notice_to_improve_decision_id": entry.context.get("decision_id", ""),
        "all_holiday": "false",
    }
    return [
        CloseStage(Stage.NOTICE_TO_IMPROVE, entry.key, f"improvement period breached on {first}"),
        RequestDecision(Stage.PENALTY_NOTICE, key, reason, context),
    ]


@rule(Stage.NOTICE_TO_IMPROVE)
def improvement_period(view: PupilView, policy: Policy) -> list[Proposal]:
    """A further unauthorised session in the improvement period asks for a penalty notice."""
    entry = view.case.open_stage(Stage.NOTICE_TO_IMPROVE)
    dates = _improvement_dates(entry) if entry is not None else None
    if entry is None or dates is None or not is_of_compulsory_school_age(view):
        return []
    start, end = dates
    breaches = [m for m in view.marks if m.code in PENALTY and start <= m.school_date <= end]
    if breaches:
        return _breach(view, entry, breaches)
    if view.on.school_date > end:
        reason = "improvement period ended with no further unauthorised absence"
        return [CloseStage(Stage.NOTICE_TO_IMPROVE, entry.key, reason)]
    return []


def _limit_warning(view: PupilView, policy: Policy, decision: DecisionState) -> QueueMessage:
    context = {
        **base_context(view, Stage.PROSECUTION),
        "recipient_name": "",
        "recipient_address": policy.la.attendance_team_email,
        "last_absence_date_long": long_date(
            date.fromisoformat(decision.context["last_absence_date"])
        ),
        "lay_by_date_long": long_date(date.fromisoformat(decision.context["lay_by_date"])),
        "limit_months": str(policy.legal.prosecution_limit_months),
    }
    to = ContactRef(RecipientRole.LA, Channel.EMAIL, policy.la.attendance_team_email)
    return QueueMessage(
        f"{decision.key}:limit_warning", to, LIMIT_TEMPLATE, Stage.PROSECUTION, context
    )


@rule(Stage.PROSECUTION)
def prosecution_time_limit(view: PupilView, policy: Policy) -> list[Proposal]:
    """A prosecution decision still waiting 4 weeks before its 6-month limit: warn the LA team."""
    warnings: list[Proposal] = []
    for decision in view.case.decisions:
        warn_from = decision.context.get("warn_from_date")
        if (
            decision.stage is not Stage.PROSECUTION
            or decision.status != REQUESTED
            or not warn_from
            or view.on.school_date < date.fromisoformat(warn_from)
            or view.case.has(f"{decision.key}:limit_warning")
        ):
            continue
        warnings.append(_limit_warning(view, policy, decision))
    return warnings
