"""Register-level checks: a session with no marks at all, or pupils without a mark, is a data
alert to the school and never a family message (DOMAIN.md Part 1 rule 7)."""

from __future__ import annotations

import pytest

from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import DataAlert
from casework.core.ladder.register_checks import check_register, register_missing
from tests.factories import URN
from tests.ladder_factories import DEFAULT_POLICY, make_school_view, make_view, messages, of_type


class TestRegisterMissing:
    def test_register_missing_alert_when_no_pupil_has_a_mark(self) -> None:
        """A session for which the school sent no marks at all is one register_missing alert."""
        school = make_school_view("Mon 2025-09-15 AM", on_roll=3, without_mark=["a", "b", "c"])
        alerts: list[DataAlert] = of_type(check_register(school), DataAlert)
        assert register_missing(school)
        assert [(a.reason, a.session, a.key) for a in alerts] == [
            ("register_missing", "AM", f"{URN}:register_missing:2025-09-15:AM")
        ]

    def test_no_alert_when_the_school_has_no_pupils_on_roll(self) -> None:
        """An empty school is not a missing register."""
        school = make_school_view(on_roll=0)
        assert not register_missing(school)
        assert check_register(school) == []


class TestRegisterIncomplete:
    def test_incomplete_alert_names_the_pupils_when_some_lack_a_mark(self) -> None:
        """Pupils without a mark are listed in one register_incomplete alert for the office."""
        school = make_school_view("Mon 2025-09-15 PM", on_roll=3, without_mark=["b"])
        [alert] = check_register(school)
        assert isinstance(alert, DataAlert)
        assert (alert.reason, alert.session, alert.context["upns"]) == (
            "register_incomplete",
            "PM",
            "b",
        )
        assert alert.context["missing_count"] == "1"

    def test_no_alert_when_every_pupil_has_a_mark(self) -> None:
        """A complete register raises nothing."""
        assert check_register(make_school_view(on_roll=3)) == []

    @pytest.mark.parametrize(
        ("without", "reason"),
        [
            (["a", "b", "c"], "register_missing"),
            (["b"], "register_incomplete"),
        ],
    )
    def test_alert_raised_once_when_the_school_already_holds_its_key(
        self, without: list[str], reason: str
    ) -> None:
        """Emit only on change: the same session's alert is not raised twice."""
        key = f"{URN}:{reason}:2025-09-15:AM"
        school = make_school_view(on_roll=3, without_mark=without, keys=[key])
        assert check_register(school) == []

    def test_pupil_without_a_mark_gets_no_family_message(self) -> None:
        """The pupil's own rules see no current mark, so no first-day call goes home."""
        view = make_view("Fri N", "Mon 2025-09-15 AM")
        assert view.current_mark is None
        assert [m for m in messages(decide(view, DEFAULT_POLICY)) if m.to.contact_id] == []
