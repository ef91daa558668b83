"""`decide(view, policy)`: every enabled stage's rules in catalogue order, then the guards."""

from __future__ import annotations

from casework.ladder import absence, legal, persistence, recovery, returns, support  # noqa: F401
from casework.ladder.decisions import Decision
from casework.ladder.guards import apply_guards
from casework.ladder.registry import RULES
from casework.ladder.stages import CATALOGUE
from casework.ladder.view import PupilView
from casework.policy import Policy


def decide(view: PupilView, policy: Policy) -> list[Decision]:
    """Values in, decisions out: no I/O and no clock."""
    proposed: list[Decision] = []
    for spec in CATALOGUE:
        if policy.enabled(spec.stage):
            for rule in RULES.get(spec.stage, ()):
                proposed.extend(rule(view, policy))
    for check in RULES.get(None, ()):
        proposed.extend(check(view, policy))
    return apply_guards(view, policy, proposed)
