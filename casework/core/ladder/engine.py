"""`decide(view, policy)`: every enabled stage's rules in catalogue order, then the guards."""

from __future__ import annotations

from casework.core.codes import CODES, LATE_PRESENT, PENALTY
from casework.core.ladder import (  # noqa: F401
    absence,
    leave,
    legal,
    part_time,
    persistent_absence,
    recovery,
    returns,
    support,
    updates,
)
from casework.core.ladder.deletion import ladder_ended
from casework.core.ladder.guards import apply_guards
from casework.core.ladder.persistent_absence import pupil_band
from casework.core.ladder.proposals import Proposal
from casework.core.ladder.registry import RULES, Rule
from casework.core.ladder.returns import illness_referral_sessions
from casework.core.ladder.stages import CATALOGUE
from casework.core.ladder.updates import update_due
from casework.core.ladder.view import PupilView
from casework.core.measures import Band
from casework.core.policy import Policy

_ENABLED: dict[int, tuple[Policy, tuple[Rule, ...]]] = {}
_ATTENDED = frozenset(code for code, info in CODES.items() if info.is_attendance)


def enabled_rules(policy: Policy) -> tuple[Rule, ...]:
    """The rules `decide` runs under `policy`, in order; worked out once per policy object (a
    sweep decides for every pupil of a school under the same one)."""
    found = _ENABLED.get(id(policy))
    if found is None or found[0] is not policy:
        rules = [
            rule
            for spec in CATALOGUE
            if policy.enabled(spec.stage)
            for rule in RULES.get(spec.stage, ())
        ]
        if len(_ENABLED) >= 32:
            _ENABLED.clear()
        found = _ENABLED[id(policy)] = (policy, (*rules, *RULES.get(None, ())))
    return found[1]


def nothing_to_decide(view: PupilView, policy: Policy) -> bool:
    """No rule can propose anything for this view, so `decide` need not ask them: most pupils
    on most days (at 100,000 pupils, the rules cost a fifth of the sweep).

    The pupil has nothing on the ladder (no stage entry, no legal decision: nothing to review,
    close or warn about), is here this session (no episode, no run of absence), is in no band,
    and each count a rule holds against a line is below it when counted over all of the view's
    marks, more than any rule counts. A property test holds this to the rules themselves.
    """
    case = view.case
    if case.stages or case.decisions or update_due(view, policy):
        return False  # the half-term update goes to every family
    current = view.current_mark
    if (
        current is None
        or current.code not in _ATTENDED
        or not view.calendar.is_school_session(current.school_date, current.session)
    ):
        return False
    if pupil_band(view, policy) is not Band.NONE:
        return False
    if view.illness_sessions >= illness_referral_sessions(policy):
        return False
    if view.prior is not None and view.prior.unresolved_n:
        return False  # an N from earlier in the year, still unresolved
    late = unauthorised = 0
    for mark in view.marks:
        if mark.code == "N":
            return False
        late += mark.code in LATE_PRESENT
        unauthorised += mark.code in PENALTY
    return late < policy.support.lateness_marks and unauthorised < policy.legal.threshold_sessions


def decide(view: PupilView, policy: Policy) -> list[Proposal]:
    """Values in, proposals out: no I/O and no clock."""
    if nothing_to_decide(view, policy):
        return []
    return decide_by_every_rule(view, policy)


def decide_by_every_rule(view: PupilView, policy: Policy) -> list[Proposal]:
    """`decide` without the screen: every enabled rule asked, then the guards."""
    if ladder_ended(view):
        return []  # deleted from the roll under Ground I (rule 34)
    proposed: list[Proposal] = []
    for rule in enabled_rules(policy):
        proposed.extend(rule(view, policy))
    return apply_guards(view, policy, proposed)
