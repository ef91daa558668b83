"""School calendar: school days, sessions, school weeks, bank holidays and register close times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from casework.core.calendar import (
    CalendarRow,
    RegisterSession,
    academic_year_start,
    build_calendar,
    england_bank_holidays,
    register_close_at,
)
from tests.factories import LONDON, make_calendar, make_calendar_rows, make_term_rows

AM, PM = RegisterSession.AM, RegisterSession.PM
D = date.fromisoformat


class TestSchoolDays:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("2025-09-05", True),  # Fri in term
            ("2025-09-06", False),  # Sat
            ("2025-09-07", False),  # Sun
            ("2025-10-27", False),  # half term
            ("2025-12-24", False),  # Christmas holiday
            ("2025-05-05", False),  # early May bank holiday inside the summer term
            ("2026-05-04", False),  # the 2026 early May bank holiday inside the summer term
            ("2026-04-06", False),  # Easter Monday 2026
            ("2026-07-21", True),  # last day of the year, inclusive
            ("2026-07-22", False),
        ],
    )
    def test_day_is_a_school_day_when_weekday_in_term(self, day: str, expected: bool) -> None:
        """School days are weekdays inside a term, never weekends, holidays or bank holidays."""
        assert make_calendar().is_school_day(D(day)) is expected

    def test_term_starts_on_its_first_day_when_it_starts_mid_week(self) -> None:
        """A term starting on a Wednesday has no Monday or Tuesday sessions that week."""
        days = make_calendar().school_days(D("2025-09-01"), D("2025-09-07"))
        assert days == [D("2025-09-03"), D("2025-09-04"), D("2025-09-05")]

    def test_inset_day_removes_both_sessions_when_whole_day(self) -> None:
        """An INSET day with no session named closes the whole day."""
        calendar = make_calendar("2025-09-03 inset")
        assert calendar.sessions_on(D("2025-09-03")) == ()
        assert calendar.next_school_day(D("2025-09-02")) == D("2025-09-04")

    @pytest.mark.parametrize(("closed", "left"), [("AM", (PM,)), ("PM", (AM,)), ("ALL", ())])
    def test_half_day_closure_leaves_other_session_when_one_session_closed(
        self, closed: str, left: tuple[RegisterSession, ...]
    ) -> None:
        """A closure of one session leaves the other open, so the day is still a school day."""
        calendar = make_calendar(f"2025-10-14 closed {closed}")
        assert calendar.sessions_on(D("2025-10-14")) == left
        assert calendar.is_school_day(D("2025-10-14")) is bool(left)

    def test_other_schools_closures_are_ignored_when_building_a_calendar(self) -> None:
        """Rows for another URN do not affect this school; LA-wide rows do."""
        rows = [*make_term_rows(), *make_calendar_rows("2025-10-13 inset", urn="999999")]
        calendar = build_calendar("100001", rows, frozenset())
        assert calendar.is_school_day(D("2025-10-13"))
        assert not build_calendar("999999", rows, frozenset()).is_school_day(D("2025-10-13"))

    def test_term_runs_to_31_july_when_it_has_no_end_yet(self) -> None:
        """A term start with no end is open to the end of that academic year."""
        rows = make_calendar_rows("2025-09-03 term_start")
        calendar = build_calendar("100001", rows, frozenset())
        assert calendar.days[0] == D("2025-09-03")
        assert calendar.days[-1] == D("2026-07-31")

    def test_sessions_between_lists_each_open_session_when_range_spans_weekend_and_closure(
        self,
    ) -> None:
        """Sessions come in register order, skipping the weekend and the closed afternoon."""
        calendar = make_calendar("2025-09-08 closed PM")
        assert calendar.sessions_between(D("2025-09-05"), D("2025-09-08")) == [
            (D("2025-09-05"), AM),
            (D("2025-09-05"), PM),
            (D("2025-09-08"), AM),
        ]


class TestStepping:
    @pytest.mark.parametrize(
        ("day", "previous", "following"),
        [
            ("2025-09-08", "2025-09-05", "2025-09-09"),  # Mon: back over the weekend
            ("2025-11-03", "2025-10-24", "2025-11-04"),  # back over half term
            ("2025-10-29", "2025-10-24", "2025-11-03"),  # from inside half term
            ("2025-09-03", "2025-07-22", "2025-09-04"),  # back across the summer
        ],
    )
    def test_neighbouring_school_days_skip_non_school_days_when_stepping(
        self, day: str, previous: str, following: str
    ) -> None:
        """Previous and next school day are strictly before and after, skipping gaps."""
        calendar = make_calendar()
        assert calendar.previous_school_day(D(day)) == D(previous)
        assert calendar.next_school_day(D(day)) == D(following)

    def test_no_neighbour_exists_when_outside_the_calendar(self) -> None:
        """Before the first or after the last known school day there is no neighbour."""
        calendar = make_calendar()
        assert calendar.previous_school_day(D("2024-09-04")) is None
        assert calendar.next_school_day(D("2026-07-21")) is None

    @pytest.mark.parametrize(
        ("day", "n", "expected"),
        [
            ("2025-09-08", 0, "2025-09-08"),
            ("2025-09-06", 0, "2025-09-08"),  # Saturday, 0 -> next school day
            ("2025-09-05", 1, "2025-09-08"),
            ("2025-10-22", 3, "2025-11-03"),  # across half term
            ("2025-09-06", 2, "2025-09-09"),
            ("2025-12-17", 5, "2026-01-07"),  # across Christmas and New Year's Day
        ],
    )
    def test_adding_school_days_counts_only_school_days_when_gaps_intervene(
        self, day: str, n: int, expected: str
    ) -> None:
        """The n-th school day after a date skips weekends and holidays."""
        assert make_calendar().add_school_days(D(day), n) == D(expected)

    def test_adding_school_days_counts_weekdays_when_beyond_the_calendar(self) -> None:
        """Past the last known day it counts weekdays that are not bank holidays."""
        assert make_calendar().add_school_days(D("2026-07-20"), 3) == D("2026-07-23")

    def test_school_days_after_counts_half_open_range_when_asked(self) -> None:
        """Days after the start and up to the end, so Mon to next Mon is five school days."""
        calendar = make_calendar()
        assert calendar.school_days_after(D("2025-09-08"), D("2025-09-15")) == 5
        assert calendar.school_days_after(D("2025-09-15"), D("2025-09-08")) == 0


class TestSchoolWeeks:
    @pytest.mark.parametrize(
        ("day", "weeks", "monday"),
        [
            ("2025-09-10", 1, "2025-09-08"),
            ("2025-11-05", 2, "2025-10-20"),  # half-term week is not a school week
            ("2025-09-10", 3, "2025-07-21"),  # across the summer into the previous year
            ("2025-09-03", 2, "2025-07-21"),
            ("2025-10-29", 1, "2025-10-20"),  # in half term: the latest school week is week 1
            ("2025-11-14", 10, "2025-09-01"),  # "last 10 school weeks" across half term
        ],
    )
    def test_school_week_start_skips_weeks_without_sessions_when_counting_back(
        self, day: str, weeks: int, monday: str
    ) -> None:
        """A school week is a Monday–Sunday week with a session; holidays are not counted."""
        assert make_calendar().school_week_start(D(day), weeks) == D(monday)

    def test_school_week_start_stops_at_earliest_week_when_history_is_short(self) -> None:
        """With fewer school weeks known than asked for, the earliest school week is used."""
        assert make_calendar().school_week_start(D("2024-09-10"), 10) == D("2024-09-02")

    @pytest.mark.parametrize(
        ("day", "weeks", "expected"),
        [
            ("2025-09-10", 1, "2025-09-17"),
            ("2025-10-15", 2, "2025-11-05"),  # half term skipped
            ("2025-10-29", 1, "2025-11-05"),  # from half term: the next school week, same weekday
            ("2025-07-16", 1, "2025-09-03"),  # Wed 23 July is no school: next school day
            ("2025-12-17", 6, "2026-02-11"),  # two Christmas weeks skipped
        ],
    )
    def test_adding_school_weeks_skips_holiday_weeks_when_planning_a_review(
        self, day: str, weeks: int, expected: str
    ) -> None:
        """A review in N school weeks lands on the same weekday or the next school day after."""
        assert make_calendar().add_school_weeks(D(day), weeks) == D(expected)


class TestBankHolidaysAndTimes:
    def test_england_bank_holidays_are_the_gov_uk_list_when_2026(self) -> None:
        """2026 England bank holidays include Easter and the Boxing Day substitute."""
        assert england_bank_holidays(2026, 2026) >= {
            D("2026-01-01"),
            D("2026-04-03"),
            D("2026-04-06"),
            D("2026-05-04"),
            D("2026-05-25"),
            D("2026-08-31"),
            D("2026-12-25"),
            D("2026-12-28"),
        }
        assert D("2026-03-17") not in england_bank_holidays(2026, 2026)  # not in England

    def test_bank_holiday_removes_a_term_day_when_passed_in(self) -> None:
        """A weekday in term is no school day when it is a bank holiday."""
        rows = [CalendarRow("", D("2025-04-22"), "", "term_start")]
        rows.append(CalendarRow("", D("2025-05-23"), "", "term_end"))
        assert not build_calendar("1", rows, frozenset({D("2025-05-05")})).is_school_day(
            D("2025-05-05")
        )
        assert build_calendar("1", rows, frozenset()).is_school_day(D("2025-05-05"))

    @pytest.mark.parametrize(
        ("day", "start"),
        [("2025-07-31", "2024-08-01"), ("2025-08-01", "2025-08-01"), ("2026-01-10", "2025-08-01")],
    )
    def test_academic_year_starts_on_1_august_when_asked(self, day: str, start: str) -> None:
        """The academic year runs from 1 August to 31 July."""
        assert academic_year_start(D(day)) == D(start)

    @pytest.mark.parametrize(
        ("day", "session", "utc"),
        [
            ("2025-09-08", AM, datetime(2025, 9, 8, 8, 15, tzinfo=UTC)),  # BST
            ("2025-12-01", AM, datetime(2025, 12, 1, 9, 15, tzinfo=UTC)),  # GMT
            ("2025-12-01", PM, datetime(2025, 12, 1, 13, 30, tzinfo=UTC)),
        ],
    )
    def test_register_close_is_local_time_in_utc_when_computed(
        self, day: str, session: RegisterSession, utc: datetime
    ) -> None:
        """Close times are London wall-clock times, returned as aware UTC."""
        at = register_close_at(D(day), session, time(9, 15), time(13, 30), LONDON)
        assert at == utc
        assert at.tzinfo is UTC
