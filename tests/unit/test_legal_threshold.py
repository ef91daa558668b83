"""Where the threshold count starts (casework.core.legal.threshold): DOMAIN rule 19, pure."""

from __future__ import annotations

from datetime import date

from casework.core.ladder.stages import Stage
from casework.core.ladder.view import DecisionState
from casework.core.legal.threshold import count_from

WINDOW = date(2025, 9, 15)


def asked(stage: Stage, on: str) -> DecisionState:
    return DecisionState(
        stage, f"k:{stage.value}:{on}", "approved", date.fromisoformat(on), None, {}
    )


def test_no_decision_counts_from_the_window_start() -> None:
    assert count_from(WINDOW, ()) == WINDOW


def test_a_threshold_decision_inside_the_window_restarts_the_count() -> None:
    got = count_from(WINDOW, (asked(Stage.NOTICE_TO_IMPROVE, "2025-10-01"),))
    assert got == date(2025, 10, 2)


def test_a_threshold_decision_before_the_window_changes_nothing() -> None:
    assert count_from(WINDOW, (asked(Stage.PENALTY_NOTICE, "2025-09-01"),)) == WINDOW


def test_a_later_prosecution_decision_does_not_restart_the_count() -> None:
    """Fix 1: the latest decision of any kind used to restart the count."""
    decisions = (asked(Stage.PENALTY_NOTICE, "2025-10-01"), asked(Stage.PROSECUTION, "2025-11-20"))
    assert count_from(WINDOW, decisions) == date(2025, 10, 2)
