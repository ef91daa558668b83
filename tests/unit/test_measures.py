"""Attendance measures: exact counts, bands, unexplained episodes and continuous runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.core.calendar import RegisterSession, SweepPoint
from casework.core.codes import GROUND_I, ILLNESS, LATE_PRESENT, PENALTY
from casework.core.marks import SessionMark, visible_marks
from casework.core.measures import (
    Band,
    Episode,
    band,
    consecutive_school_days,
    count_codes,
    illness_sessions,
    measure,
    measure_school,
    unexplained_episode,
    unresolved_n,
)
from tests.factories import make_calendar, make_mark_version, make_marks, make_measures, make_sweep

AM, PM = RegisterSession.AM, RegisterSession.PM
D = date.fromisoformat
CALENDAR = make_calendar("2025-10-02 inset")


def episode_of(expected: tuple[str, int], on: SweepPoint) -> Episode:
    """The episode starting at "2025-09-15 AM" covering n school days, at the sweep."""
    start, session = expected[0].split()
    return Episode(D(start), RegisterSession(session), expected[1], on.school_date)


def register(text: str, sweep: str) -> tuple[list[SessionMark], SweepPoint]:
    """Marks written by weekday on school days ending at the sweep's date, and the sweep point."""
    on = make_sweep(sweep)
    return make_marks(text, ending=on.school_date, calendar=CALENDAR), on


class TestMeasure:
    def test_counts_each_class_when_marks_are_mixed(self) -> None:
        """Every possible code lands in its class; late counts L and U."""
        marks = make_marks(
            "2025-09-08 AM /, 2025-09-08 PM L, 2025-09-09 AM V, 2025-09-09 PM I, "
            "2025-09-10 AM U, 2025-09-10 PM N"
        )
        m = measure(marks)
        assert (m.possible, m.present, m.educational, m.authorised, m.unauthorised, m.late) == (
            6,
            2,
            1,
            1,
            2,
            2,
        )
        assert (m.attended, m.absent) == (3, 3)

    @pytest.mark.parametrize("code", ["X", "Y1", "Y7", "D", "#", "Q", "Z", "Y"])
    def test_session_is_not_counted_when_code_is_not_possible(self, code: str) -> None:
        """Not-possible codes add nothing to possible, attended or absent."""
        m = measure(make_marks(f"2025-09-08 {code}, 2025-09-09 /"))
        assert (m.possible, m.attended, m.absent) == (2, 2, 0)

    def test_only_marks_in_range_count_when_since_and_until_given(self) -> None:
        """Dates outside since..until inclusive are left out."""
        marks = make_marks("2025-09-05 N, 2025-09-08 /, 2025-09-09 I, 2025-09-10 N")
        m = measure(marks, since=D("2025-09-08"), until=D("2025-09-09"))
        assert (m.possible, m.present, m.authorised, m.unauthorised) == (4, 2, 2, 0)

    def test_each_pupil_is_measured_when_a_school_is_measured(self) -> None:
        """School measures are per pupil, from the given date."""
        result = measure_school(
            {"a": make_marks("2025-09-08 /"), "b": make_marks("2025-07-01 N, 2025-09-08 N")},
            since=D("2025-08-01"),
        )
        assert result["a"].attended == 2
        assert (result["b"].possible, result["b"].unauthorised) == (2, 2)


class TestBands:
    @pytest.mark.parametrize(
        ("present", "absent", "persistent", "severe"),
        [
            (18, 2, True, False),  # exactly 90.0 % is persistent absence
            (19, 1, False, False),
            (171, 19, True, False),  # 90.0 % of 190
            (172, 18, False, False),
            (10, 10, True, True),  # exactly 50 % is severe absence
            (11, 9, True, False),
            (0, 0, False, False),
        ],
    )
    def test_persistence_is_exact_when_on_the_boundary(
        self, present: int, absent: int, persistent: bool, severe: bool
    ) -> None:
        """Absence of 10 % or more is persistent and 50 % or more severe, compared as integers."""
        m = make_measures(present=present, authorised=absent)
        assert m.is_persistent is persistent
        assert m.is_severe is severe

    @pytest.mark.parametrize(
        ("present", "absent", "expected"),
        [
            (19, 1, Band.NONE),  # exactly 95 % is not below 95 %
            (47, 3, Band.AT_RISK),  # 94 %
            (18, 2, Band.PERSISTENT),
            (10, 10, Band.SEVERE),
            (0, 20, Band.SEVERE),
            (20, 0, Band.NONE),
        ],
    )
    def test_band_is_the_most_serious_reached_when_enough_sessions(
        self, present: int, absent: int, expected: Band
    ) -> None:
        """Severe before persistent before at risk; at or above the concern line is none."""
        assert band(make_measures(present=present, unauthorised=absent), 95, 20) is expected

    @pytest.mark.parametrize(("present", "absent"), [(0, 1), (9, 10), (0, 19)])
    def test_band_is_none_when_below_min_possible_sessions(self, present: int, absent: int) -> None:
        """Fewer than min_possible_sessions possible sessions never give a band."""
        m = make_measures(present=present, unauthorised=absent)
        assert m.is_persistent
        assert band(m, 95, 20) is Band.NONE

    def test_is_below_compares_integers_when_percent_is_fractional(self) -> None:
        """2 of 3 attended (66.67 %) is below 67 % and not below 66 %."""
        m = make_measures(present=2, unauthorised=1)
        assert m.is_below(67)
        assert not m.is_below(66)
        assert round(m.attendance_percent, 2) == 66.67


class TestEpisode:
    @pytest.mark.parametrize(
        ("text", "sweep", "expected"),
        [
            ("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM", ("2025-09-15 AM", 3)),
            ("Fri N, Mon N, Tue N", "Tue 2025-09-16 AM", ("2025-09-12 AM", 3)),
            ("Mon N, Tue /, Wed N", "Wed 2025-09-17 AM", ("2025-09-17 AM", 1)),
            ("Mon N, Tue O, Wed N", "Wed 2025-09-17 PM", ("2025-09-15 AM", 3)),
            ("Mon N, Tue Y1, Wed N", "Wed 2025-09-17 AM", ("2025-09-15 AM", 2)),
            ("Mon N, Tue -, Wed N", "Wed 2025-09-17 AM", ("2025-09-15 AM", 2)),
            ("Mon AM /, Mon PM N", "Mon 2025-09-15 PM", ("2025-09-15 PM", 1)),
            ("Mon AM /, Mon PM N, Tue N", "Tue 2025-09-16 AM", ("2025-09-15 PM", 2)),
            ("Wed N, Fri N", "Fri 2025-10-03 AM", ("2025-10-01 AM", 2)),
            ("Fri N, Mon N", "Mon 2025-11-03 AM", ("2025-10-24 AM", 2)),
        ],
        ids=["three-days", "weekend", "present-day", "o-counts", "y1-neutral", "missing-neutral",
             "pm-only", "pm-then-next-day", "inset", "half-term"],
    )  # fmt: skip
    def test_episode_runs_back_over_unexplained_sessions_when_current_mark_is_n(
        self, text: str, sweep: str, expected: tuple[str, int]
    ) -> None:
        """Consecutive N/O sessions are one episode; gaps and not-possible codes don't break it."""
        marks, on = register(text, sweep)
        assert unexplained_episode(marks, CALENDAR, on) == episode_of(expected, on)

    @pytest.mark.parametrize(
        "text",
        ["Mon N, Tue G", "Mon N, Tue AM N, Tue PM /", "Mon N, Tue I", "Mon N, Tue AM -"],
    )
    def test_no_episode_when_current_session_is_not_unexplained(self, text: str) -> None:
        """Only an N or O at the sweep's own session puts the pupil in an episode."""
        marks, on = register(text, "Tue 2025-09-16 PM")
        assert unexplained_episode(marks, CALENDAR, on) is None

    @pytest.mark.parametrize("breaker", ["G", "U", "L", "I", "M", "K"])
    def test_episode_is_broken_when_an_explained_or_attended_session_intervenes(
        self, breaker: str
    ) -> None:
        """Attendance, late arrival and explained absence (incl. G and U) end an episode."""
        marks, on = register(f"Mon N, Tue {breaker}, Wed N", "Wed 2025-09-17 AM")
        episode = unexplained_episode(marks, CALENDAR, on)
        assert episode is not None
        assert (episode.start_date, episode.school_days) == (D("2025-09-17"), 1)

    def test_episode_restarts_when_an_n_is_amended_to_illness(self) -> None:
        """An N amended to I before the sweep breaks the run at that day."""
        history = [
            make_mark_version(school_date=D("2025-09-15"), session=s, code="N") for s in (AM, PM)
        ]
        history += [
            make_mark_version(school_date=D("2025-09-16"), session=s, code="N") for s in (AM, PM)
        ]
        history.append(make_mark_version(school_date=D("2025-09-17"), code="N"))
        on = make_sweep("Wed 2025-09-17 AM")
        before = visible_marks(history, on)["A123456789012"]
        assert unexplained_episode(before, CALENDAR, on) == Episode(
            D("2025-09-15"), AM, 3, D("2025-09-17")
        )
        amended_at = on.at - timedelta(minutes=30)
        history += [
            make_mark_version(
                school_date=D("2025-09-16"), session=s, code="I", recorded_at=amended_at
            )
            for s in (AM, PM)
        ]
        after = visible_marks(history, on)["A123456789012"]
        assert unexplained_episode(after, CALENDAR, on) == Episode(
            D("2025-09-17"), AM, 1, D("2025-09-17")
        )


class TestRuns:
    def test_counts_ten_days_when_all_unauthorised_across_half_term(self) -> None:
        """Ten school days all G/N/O/U, with half term between, is a run of ten."""
        text = "Mon G, Tue G, Wed U, Thu O, Fri N, Mon N, Tue N, Wed N, Thu N, Fri N"
        marks, on = register(text, "Fri 2025-11-07 PM")
        assert marks[0].school_date == D("2025-10-20")
        assert consecutive_school_days(marks, CALENDAR, on, PENALTY) == 10

    def test_run_stops_when_a_day_has_an_attended_session(self) -> None:
        """A day with any possible session outside the codes ends the run."""
        marks, on = register("Mon N, Tue AM N, Tue PM L, Wed N, Thu N", "Thu 2025-09-18 PM")
        assert consecutive_school_days(marks, CALENDAR, on, GROUND_I) == 2

    def test_a_not_possible_day_breaks_the_run(self) -> None:
        """Fix 3 / rule 10: a day coded `Y4` (or `D`) breaks the run; it used to be skipped."""
        marks, on = register("Mon I, Tue Y4, Wed I", "Wed 2025-09-17 PM")
        assert consecutive_school_days(marks, CALENDAR, on, ILLNESS) == 1

    def test_ten_o_days_a_y5_day_and_ten_o_days_are_a_run_of_ten(self) -> None:
        """Fix 3: the issue's case: not a 20-day run, so no `cme_enquiry`."""
        days = CALENDAR.school_days(D("2025-09-08"), D("2025-10-07"))
        assert len(days) == 21
        codes = ["O"] * 10 + ["Y5"] + ["O"] * 10
        marks = make_marks(
            ", ".join(f"{d.isoformat()} {c}" for d, c in zip(days, codes, strict=True))
        )
        on = make_sweep("2025-10-07 PM")
        assert consecutive_school_days(marks, CALENDAR, on, GROUND_I) == 10

    def test_a_school_day_with_no_mark_breaks_the_run(self) -> None:
        marks, on = register("Mon N, Wed N", "Wed 2025-09-17 PM")
        marks = [m for m in marks if m.school_date != D("2025-09-16")]
        assert consecutive_school_days(marks, CALENDAR, on, GROUND_I) == 1

    def test_run_ignores_later_sessions_when_sweep_is_am(self) -> None:
        """At the AM sweep the afternoon is not yet visible, even if supplied."""
        marks, on = register("Mon N, Tue AM N, Tue PM /", "Tue 2025-09-16 AM")
        assert consecutive_school_days(marks, CALENDAR, on, GROUND_I) == 2

    def test_count_codes_counts_sessions_when_in_range(self) -> None:
        """Sessions are counted, not days, within since..until."""
        marks = make_marks("2025-09-05 L, 2025-09-08 L, 2025-09-09 AM L, 2025-09-10 L")
        assert count_codes(marks, LATE_PRESENT, D("2025-09-08")) == 5
        assert count_codes(marks, LATE_PRESENT, D("2025-09-08"), D("2025-09-09")) == 3

    def test_illness_sessions_are_cumulative_when_not_continuous(self) -> None:
        """Rule 10: illness is counted in sessions (a morning off ill is half a day)."""
        marks = make_marks("2025-09-04 I, 2025-09-08 AM I, 2025-09-09 /, 2025-09-10 PM I")
        assert illness_sessions(marks, D("2025-09-05")) == 2
        assert illness_sessions(marks, D("2025-09-01")) == 4


class TestUnresolvedN:
    @pytest.mark.parametrize(
        ("sweep", "expected"),
        [
            ("Fri 2025-09-19 PM", []),
            ("Mon 2025-09-22 AM", [(D("2025-09-15"), AM), (D("2025-09-15"), PM)]),
        ],
    )
    def test_n_is_unresolved_when_five_school_days_have_passed(
        self, sweep: str, expected: list[tuple[date, RegisterSession]]
    ) -> None:
        """An N still N five school days after its date is reported."""
        marks = make_marks("2025-09-15 N, 2025-09-16 I")
        assert unresolved_n(marks, CALENDAR, make_sweep(sweep), 5) == expected

    def test_n_is_resolved_when_amended_before_the_sweep(self) -> None:
        """An N replaced by another code is no longer unresolved."""
        on = make_sweep("Mon 2025-09-22 AM")
        history = [
            make_mark_version(school_date=D("2025-09-15"), code="N"),
            make_mark_version(school_date=D("2025-09-15"), code="M", recorded_at=on.at),
        ]
        marks = visible_marks(history, on)["A123456789012"]
        assert unresolved_n(marks, CALENDAR, on, 5) == []

    def test_half_term_does_not_count_when_counting_school_days(self) -> None:
        """Days of half term are not school days, so the N is not yet five school days old."""
        marks = make_marks("2025-10-22 N")
        assert unresolved_n(marks, CALENDAR, make_sweep("Mon 2025-11-03 AM"), 5) == []
        assert unresolved_n(marks, CALENDAR, make_sweep("Wed 2025-11-05 AM"), 5) == [
            (D("2025-10-22"), AM),
            (D("2025-10-22"), PM),
        ]
