"""Half-term updates to parents (casework.core.ladder.updates): DOMAIN rule 35, pure."""

from __future__ import annotations

import pytest

from casework.core.calendar import RegisterSession
from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import CloseStage, EnterStage, Proposal, QueueMessage
from casework.core.ladder.stages import Stage
from casework.core.ladder.updates import is_half_term_end
from tests.ladder_factories import (
    CALENDAR,
    D,
    make_policy,
    make_register,
    make_view,
    of_type,
    sweep_at,
)

REGISTER = make_register("2025-09-03", "2025-10-24")


def _decided(
    day: str, session: RegisterSession = RegisterSession.PM, **policy: dict[str, object]
) -> list[Proposal]:
    view = make_view(REGISTER, sweep_at(D(day), session))
    return decide(view, make_policy(**policy))


def test_the_last_school_day_before_a_break_is_a_half_term_end() -> None:
    assert is_half_term_end(CALENDAR, D("2025-10-24"))
    assert not is_half_term_end(CALENDAR, D("2025-10-23"))
    assert not is_half_term_end(CALENDAR, D("2025-10-17"))  # an ordinary weekend
    assert not is_half_term_end(CALENDAR, D("2025-10-25"))  # not a school day


def test_every_parent_of_a_pupil_with_nothing_on_the_ladder_hears_at_half_term() -> None:
    decided = _decided("2025-10-24")
    messages = of_type(decided, QueueMessage)
    assert {m.to.contact_id for m in messages} == {"X931400226001-1", "X931400226001-2"}
    assert all(m.template == "attendance_update/parent" for m in messages)
    assert messages[0].context["attendance_percent"] == "100.0"
    assert messages[0].context["band"] == "none"
    assert [e.stage for e in of_type(decided, EnterStage)] == [Stage.ATTENDANCE_UPDATE]
    assert [c.stage for c in of_type(decided, CloseStage)] == [Stage.ATTENDANCE_UPDATE]


@pytest.mark.parametrize(
    ("day", "session", "policy"),
    [
        ("2025-10-23", RegisterSession.PM, {}),
        ("2025-10-24", RegisterSession.AM, {}),
        ("2025-10-24", RegisterSession.PM, {"leave": {"parent_update": "off"}}),
        ("2025-10-24", RegisterSession.PM, {"stages": {"disabled": ["attendance_update"]}}),
    ],
)
def test_no_update_on_other_sweeps_or_when_the_la_switches_it_off(
    day: str, session: RegisterSession, policy: dict[str, dict[str, object]]
) -> None:
    assert _decided(day, session, **policy) == []
