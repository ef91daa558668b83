"""Education Supervision Orders, pure (DOMAIN.md rule 38; Part 2 §9.3)."""

from __future__ import annotations

from datetime import date

import pytest

from casework.core.ladder.legal import has_pending_legal_decision
from casework.core.ladder.proposals import RequestDecision
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from casework.core.ladder.view import DecisionState
from casework.core.legal.eso import EsoOrder, eso_problems, eso_request, read_eso_outcome
from tests.ladder_factories import DEFAULT_POLICY, make_case, make_policy, make_pupil, make_view

D = date.fromisoformat
PROSECUTION = RequestDecision(
    Stage.PROSECUTION,
    "X:prosecution:unpaid:7",
    "unpaid",
    {
        "period_start": "2025-11-10",
        "period_end": "2025-11-14",
        "sessions": "10",
        "last_absence_date": "2025-11-14",
        "lay_by_date": "2026-05-14",
        "warn_from_date": "2026-04-16",
        "contact_ids": "mum",
    },
)


class TestEsoDecision:
    def test_asked_for_beside_every_prosecution_decision(self) -> None:
        """s447: before prosecuting the LA considers an ESO, so the engine asks a person."""
        asked = eso_request(make_pupil(), D("2025-12-17"), PROSECUTION)
        assert asked is not None
        assert asked.stage is Stage.EDUCATION_SUPERVISION_ORDER
        assert asked.key == "X:prosecution:unpaid:7:eso"
        assert "s447" in asked.reason
        assert dict(asked.context) == {
            "period_start": "2025-11-10",
            "period_end": "2025-11-14",
            "sessions": "10",
            "last_absence_date": "2025-11-14",
            "prosecution_key": "X:prosecution:unpaid:7",
        }  # no prosecution clock: an ESO is not bound by the 6-month limit

    @pytest.mark.parametrize(
        "pupil",
        [
            {"looked_after": True},  # Children Act 1989 s36(6)
            {"date_of_birth": D("2021-03-14")},  # below compulsory school age
        ],
    )
    def test_never_asked_for_when_no_order_may_be_made(self, pupil: dict[str, object]) -> None:
        """Rule 38: never for a looked-after pupil; rule 23: only a CSA pupil."""
        assert eso_request(make_pupil(**pupil), D("2025-12-17"), PROSECUTION) is None

    def test_approval_refused_for_a_looked_after_pupil(self) -> None:
        """A pupil looked after since the decision was asked for still cannot have one."""
        problems = eso_problems(make_pupil(looked_after=True))
        assert len(problems) == 1
        assert "s36(6)" in problems[0]
        assert eso_problems(make_pupil()) == []

    def test_is_a_legal_step_that_holds_nothing_back_while_it_waits(self) -> None:
        """A person decides it (legal), but the threshold is not stopped by it waiting."""
        assert Stage.EDUCATION_SUPERVISION_ORDER in LEGAL_STAGES
        waiting = DecisionState(
            Stage.EDUCATION_SUPERVISION_ORDER, "k", "requested", D("2025-12-17"), None, {}
        )
        assert not has_pending_legal_decision(make_view(case=make_case(decisions=[waiting])))
        prosecution = DecisionState(Stage.PROSECUTION, "p", "requested", D("2025-12-17"), None, {})
        assert has_pending_legal_decision(make_view(case=make_case(decisions=[prosecution])))


class TestCourtAnswer:
    def test_made_lasts_twelve_months_with_a_review_three_months_before_the_end(self) -> None:
        """Rule 38: eso_months = 12, reviewed eso_review_months_before = 3 before it ends."""
        order = read_eso_outcome(
            "made", "  Attend daily; meet the supervisor  ", D("2026-01-12"), DEFAULT_POLICY.legal
        )
        assert order == EsoOrder(
            D("2026-01-12"), D("2027-01-12"), D("2026-10-12"), "Attend daily; meet the supervisor"
        )

    def test_dates_follow_policy_when_the_months_change(self) -> None:
        """The order's length and its review's lead are the LA's policy numbers."""
        legal = make_policy(legal={"eso_months": 6, "eso_review_months_before": 2}).legal
        order = read_eso_outcome("made", "directions", D("2026-01-31"), legal)
        assert isinstance(order, EsoOrder)
        assert (order.ends_date, order.review_date) == (D("2026-07-31"), D("2026-05-31"))

    def test_made_refused_without_the_supervisors_directions(self) -> None:
        """The supervisor's directions are recorded: an order without them is refused."""
        problems = read_eso_outcome("made", "   ", D("2026-01-12"), DEFAULT_POLICY.legal)
        assert isinstance(problems, list)
        assert "directions" in problems[0]

    def test_refused_records_no_order(self) -> None:
        """A refusal carries no dates and needs no directions."""
        assert read_eso_outcome("refused", "", D("2026-01-12"), DEFAULT_POLICY.legal) is None
