"""Returns and data-quality checks: 10 days unauthorised, 20 days CME, 15 days illness, stale N.

DOMAIN rules 10 and 11. Each occurrence is keyed by where its run began, so a run is referred
once however many sweeps see it.
"""

from __future__ import annotations

from datetime import date

from casework.core.calendar import SchoolCalendar
from casework.core.codes import GROUND_I, PENALTY
from casework.core.ladder.persistent_absence import referral
from casework.core.ladder.proposals import DataAlert, OpenTask, OwnerRole, Proposal, TaskKind
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.measures import unresolved_n
from casework.core.policy import Policy

SESSIONS_A_DAY = 2  # AM and PM


def run_start(calendar: SchoolCalendar, last_day: date, days: int) -> date:
    """The first school day of a run of `days` school days ending on `last_day`."""
    start = last_day
    for _ in range(days - 1):
        start = calendar.previous_school_day(start) or start
    return start


@rule(Stage.LA_REFERRAL)
def unauthorised_run_return(view: PupilView, policy: Policy) -> list[Proposal]:
    """10 continuous school days of unauthorised absence: attendance return to the LA."""
    days = view.school_days_in_run(PENALTY)
    needed = policy.absence.la_referral_unauthorised_days
    if days < needed:
        return []
    start = run_start(view.calendar, view.on.school_date, days)
    return referral(
        view,
        policy,
        "unauthorised_absence",
        start.isoformat(),
        f"{days} continuous school days of unauthorised absence",
    )


@rule(Stage.LA_REFERRAL)
def illness_return(view: PupilView, policy: Policy) -> list[Proposal]:
    """15 days of illness this year, continuous or cumulative: sickness return (s19 duty).

    Counted in sessions (rule 10): 15 days = 30 sessions coded I, so 15 mornings ill and
    afternoons present are 7.5 days, not 15."""
    sessions = view.illness_sessions
    if sessions < illness_referral_sessions(policy):
        return []
    days = f"{sessions / SESSIONS_A_DAY:g}"
    why = f"{days} school days of illness ({sessions} sessions)"
    return referral(view, policy, "illness", str(view.year_start.year), why)


def illness_referral_sessions(policy: Policy) -> int:
    """The policy's days of illness as sessions: two a school day."""
    return policy.absence.illness_referral_days * SESSIONS_A_DAY


@rule(Stage.LA_REFERRAL)
def cme_enquiry(view: PupilView, policy: Policy) -> list[Proposal]:
    """20 continuous school days all G, N or O: joint enquiries with the LA before any deletion."""
    days = view.school_days_in_run(GROUND_I)
    if days < policy.absence.cme_enquiry_days:
        return []
    start = run_start(view.calendar, view.on.school_date, days)
    key = f"{view.upn}:cme_enquiry:{start.isoformat()}"
    if view.case.has(key):
        return []
    return [
        OpenTask(
            TaskKind.CME_ENQUIRY,
            key,
            view.on.school_date,
            OwnerRole.LA_OFFICER,
            Stage.LA_REFERRAL,
            context={"school_days": str(days), "since": start.isoformat()},
        )
    ]


@rule(None)
def unresolved_n_codes(view: PupilView, policy: Policy) -> list[Proposal]:
    """An N still unresolved after 5 school days is a data alert to the school (rule 11)."""
    alerts: list[Proposal] = []
    for day, session in unresolved_n(
        view.n_marks, view.calendar, view.on, policy.absence.n_unresolved_school_days
    ):
        key = f"{view.upn}:n_unresolved:{day.isoformat()}:{session.value}"
        if not view.case.has(key):
            alerts.append(
                DataAlert(key, "n_unresolved", session.value, {"mark_date": day.isoformat()})
            )
    return alerts
