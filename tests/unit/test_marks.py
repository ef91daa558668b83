"""Mark visibility: what a sweep sees of the versioned register, and amendment history."""

from __future__ import annotations

from datetime import date, timedelta

from casework.core.calendar import RegisterSession
from casework.core.marks import SessionMark, amendment_history, latest_versions, visible_marks
from tests.factories import make_mark_version, make_sweep

AM, PM = RegisterSession.AM, RegisterSession.PM
MON = date(2025, 9, 8)
TUE = date(2025, 9, 9)


class TestVisibility:
    def test_amendment_is_invisible_when_recorded_after_the_sweep(self) -> None:
        """A sweep sees the original mark if the amendment came after the register closed."""
        sweep = make_sweep("Mon 2025-09-08 AM")
        original = make_mark_version(school_date=MON, code="N")
        amended = make_mark_version(
            school_date=MON, code="I", recorded_at=sweep.at + timedelta(hours=2)
        )
        assert visible_marks([amended, original], sweep)["A123456789012"] == [
            SessionMark(MON, AM, "N")
        ]

    def test_amendment_is_visible_when_recorded_before_a_later_sweep(self) -> None:
        """The latest version recorded by the sweep's time replaces the original."""
        original = make_mark_version(school_date=MON, code="N")
        amended = make_mark_version(
            school_date=MON, code="I", recorded_at=original.recorded_at + timedelta(hours=2)
        )
        seen = visible_marks([original, amended], make_sweep("Mon 2025-09-08 PM"))
        assert seen["A123456789012"] == [SessionMark(MON, AM, "I")]

    def test_mark_is_invisible_when_only_recorded_after_the_sweep(self) -> None:
        """A mark entered late does not exist yet for a sweep that ran before it."""
        sweep = make_sweep("Mon 2025-09-08 AM")
        late = make_mark_version(school_date=MON, recorded_at=sweep.at + timedelta(minutes=1))
        assert visible_marks([late], sweep) == {}

    def test_mark_is_visible_when_recorded_exactly_at_the_sweep(self) -> None:
        """A version recorded at the very moment the register closed is seen."""
        sweep = make_sweep("Mon 2025-09-08 AM")
        mark = make_mark_version(school_date=MON, code="L", minutes_late=5, recorded_at=sweep.at)
        assert visible_marks([mark], sweep)["A123456789012"] == [SessionMark(MON, AM, "L", 5)]

    def test_future_marks_are_invisible_when_imported_in_advance(self) -> None:
        """Marks for later dates, or a later session of the same day, are not seen yet."""
        sweep = make_sweep("Mon 2025-09-08 AM")
        early = sweep.at - timedelta(days=30)
        versions = [
            make_mark_version(school_date=MON, session=AM, code="N", recorded_at=early),
            make_mark_version(school_date=MON, session=PM, code="N", recorded_at=early),
            make_mark_version(school_date=TUE, session=AM, code="N", recorded_at=early),
        ]
        assert visible_marks(versions, sweep)["A123456789012"] == [SessionMark(MON, AM, "N")]

    def test_pm_sweep_sees_both_sessions_when_both_are_recorded(self) -> None:
        """The PM sweep sees the morning and its own afternoon, in register order."""
        versions = [
            make_mark_version(school_date=MON, session=PM, code="\\"),
            make_mark_version(school_date=MON, session=AM, code="/"),
            make_mark_version(school_date=date(2025, 9, 5), session=PM, code="N"),
        ]
        seen = visible_marks(versions, make_sweep("Mon 2025-09-08 PM"))
        assert [(m.school_date, m.session) for m in seen["A123456789012"]] == [
            (date(2025, 9, 5), PM),
            (MON, AM),
            (MON, PM),
        ]

    def test_marks_are_grouped_by_pupil_when_a_school_is_swept(self) -> None:
        """Each pupil gets only their own marks."""
        versions = [
            make_mark_version(upn=f"A1234567890{i:02d}", school_date=MON, code=code)
            for i, code in enumerate(["/", "N", "I"])
        ]
        seen = visible_marks(versions, make_sweep("Mon 2025-09-08 AM"))
        assert {upn: [m.code for m in marks] for upn, marks in seen.items()} == {
            "A123456789000": ["/"],
            "A123456789001": ["N"],
            "A123456789002": ["I"],
        }

    def test_later_row_wins_when_two_versions_share_a_time(self) -> None:
        """Two versions recorded at one instant: the later one in the input is the amendment."""
        first = make_mark_version(school_date=MON, code="N")
        second = make_mark_version(school_date=MON, code="M")
        seen = visible_marks([first, second], make_sweep("Mon 2025-09-08 AM"))
        assert seen["A123456789012"][0].code == "M"


class TestHistory:
    def test_history_lists_original_first_when_amended_twice(self) -> None:
        """Every version is kept, oldest first, so the original is never lost."""
        base = make_mark_version(school_date=MON, code="N")
        second = make_mark_version(
            school_date=MON, code="O", recorded_at=base.recorded_at + timedelta(days=1)
        )
        third = make_mark_version(
            school_date=MON, code="I", recorded_at=base.recorded_at + timedelta(days=2)
        )
        assert [v.code for v in amendment_history([third, base, second])] == ["N", "O", "I"]

    def test_latest_versions_keeps_newest_when_no_sweep_limits(self) -> None:
        """Without a sweep point the newest version of each slot is the current mark."""
        base = make_mark_version(school_date=MON, code="N")
        newer = make_mark_version(
            school_date=MON, code="I", recorded_at=base.recorded_at + timedelta(days=1)
        )
        (only,) = latest_versions([newer, base]).values()
        assert only.code == "I"
