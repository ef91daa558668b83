"""The rule registry: one pure function per stage, run in catalogue order by `decide`."""

from __future__ import annotations

from collections.abc import Callable

from casework.core.ladder.proposals import Proposal
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy

Rule = Callable[[PupilView, Policy], list[Proposal]]

# Stage -> its rules; `None` holds checks that belong to no stage (data-quality alerts).
RULES: dict[Stage | None, list[Rule]] = {}


def rule(stage: Stage | None) -> Callable[[Rule], Rule]:
    """Register `fn` as a rule of `stage`; it runs only while the policy enables the stage."""

    def register(fn: Rule) -> Rule:
        RULES.setdefault(stage, []).append(fn)
        return fn

    return register
