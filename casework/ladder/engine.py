"""`decide(view, policy)`: every enabled stage's rules in catalogue order, then the guards."""

from __future__ import annotations

from casework.ladder import absence, legal, persistence, recovery, returns, support  # noqa: F401
from casework.ladder.decisions import Decision
from casework.ladder.guards import apply_guards
from casework.ladder.registry import RULES, Rule
from casework.ladder.stages import CATALOGUE
from casework.ladder.view import PupilView
from casework.policy import Policy

_ENABLED: dict[int, tuple[Policy, tuple[Rule, ...]]] = {}


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


def decide(view: PupilView, policy: Policy) -> list[Decision]:
    """Values in, decisions out: no I/O and no clock."""
    proposed: list[Decision] = []
    for rule in enabled_rules(policy):
        proposed.extend(rule(view, policy))
    return apply_guards(view, policy, proposed)
