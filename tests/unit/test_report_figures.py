"""Report figures against hand-computed values on a small constructed LA; suppression; terms;
what worked before and after a stage; casework counts as of a date; the reports core is pure.

The LA: one school week (Mon 8 – Fri 12 September 2025, 10 sessions a pupil), two schools.

School A (6 pupils)                         School B (4 pupils)
  A1 10 x /            PP                     B1 10 x /
  A2 9 / + 1 I         PP  exactly 90 %: PA   B2 10 x /
  A3 8 / + 2 O         PP  PA                 B3 7 / + 3 N      PA
  A4 5 / + 5 I         -   50 %: PA and SA    B4 4 / + 6 M      PA and SA
  A5 8 / + 2 X         -   X not possible
  A6 9 / + 1 G         -   PA
A: possible 58, attended 49, authorised 6, unauthorised 3, PA 4 of 6, SA 1 of 6.
B: possible 40, attended 31, authorised 6, unauthorised 3, PA 2 of 4, SA 1 of 4.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from casework.core.calendar import RegisterSession, SchoolCalendar
from casework.core.marks import SessionMark
from casework.core.reports.actions import (
    DecisionRow,
    NoticeRow,
    StageRow,
    TaskRow,
    count_actions,
)
from casework.core.reports.charts import count_axis
from casework.core.reports.cohorts import (
    PUPIL_PREMIUM,
    WHOLE,
    Cohort,
    PupilTraits,
    cohorts_of,
)
from casework.core.reports.documents import governors_document, la_document
from casework.core.reports.figures import (
    Period,
    Row,
    SchoolData,
    SchoolFigures,
    cohort_rows,
    hidden_cohorts,
    school_figures,
    school_rows,
    total,
)
from casework.core.reports.rates import Ratio, Totals
from casework.core.reports.suppression import suppressed
from casework.core.reports.tables import TableRow, attendance_bars
from casework.core.reports.terms import TermKey, terms_between
from casework.core.reports.what_worked import (
    EffectTally,
    effect_windows,
    first_entries,
    stage_effect,
    tally,
)
from casework.core.reports.what_worked_table import change_text
from tests.factories import TERMS, make_calendar

MONDAY = date(2025, 9, 8)
WEEK = Period(MONDAY, MONDAY + timedelta(days=4), on=date(2025, 9, 12), weeks=2)


def _week(*runs: tuple[int, str], monday: date = MONDAY) -> list[SessionMark]:
    """Ten sessions Mon AM .. Fri PM from runs like (8, "/"), (2, "O")."""
    codes = [code for count, code in runs for _ in range(count)]
    assert len(codes) == 10
    return [
        SessionMark(
            monday + timedelta(days=i // 2), RegisterSession("AM" if i % 2 == 0 else "PM"), code
        )
        for i, code in enumerate(codes)
    ]


def _traits(pp: bool = False, **overrides: object) -> PupilTraits:
    values: dict[str, object] = {
        "year_group": "5",
        "sen_status": "N",
        "fsm": False,
        "pupil_premium": pp,
        "looked_after": False,
        "previously_looked_after": False,
        "cp_cin": "none",
        "ethnicity": "WBRI",
    }
    values.update(overrides)
    return PupilTraits(**values)  # type: ignore[arg-type]


SCHOOL_A = {
    "A1": (_traits(pp=True), _week((10, "/"))),
    "A2": (_traits(pp=True, sen_status="K"), _week((9, "/"), (1, "I"))),
    "A3": (_traits(pp=True), _week((8, "/"), (2, "O"))),
    "A4": (_traits(sen_status="E", looked_after=True), _week((5, "/"), (5, "I"))),
    "A5": (_traits(year_group="6"), _week((8, "/"), (2, "X"))),
    "A6": (_traits(year_group="6"), _week((9, "/"), (1, "G"))),
}
SCHOOL_B = {
    "B1": (_traits(), _week((10, "/"))),
    "B2": (_traits(), _week((10, "/"))),
    "B3": (_traits(pp=True), _week((7, "/"), (3, "N"))),
    "B4": (_traits(pp=True), _week((4, "/"), (6, "M"))),
}


@pytest.fixture(scope="module")
def calendar() -> SchoolCalendar:
    return make_calendar()


def _data(
    urn: str,
    pupils: dict[str, tuple[PupilTraits, list[SessionMark]]],
    calendar: SchoolCalendar,
    **rows: object,
) -> SchoolData:
    return SchoolData(
        urn,
        f"School {urn}",
        "201",
        calendar,
        {upn: traits for upn, (traits, _m) in pupils.items()},
        {upn: marks for upn, (_t, marks) in pupils.items()},
        **rows,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def schools(calendar: SchoolCalendar) -> tuple[SchoolFigures, SchoolFigures]:
    return (
        school_figures(_data("100001", SCHOOL_A, calendar), WEEK),
        school_figures(_data("100002", SCHOOL_B, calendar), WEEK),
    )


class TestRates:
    @pytest.mark.parametrize(
        ("num", "den", "text"),
        [
            (1, 3, "33.3%"),
            (2, 3, "66.7%"),
            (1, 8, "12.5%"),
            (1, 16, "6.3%"),
            (9, 10, "90.0%"),
            (1, 2000, "0.1%"),
            (0, 5, "0.0%"),
            (0, 0, "–"),
        ],
    )
    def test_ratio_text_rounds_half_up_with_integers_when_shown(
        self, num: int, den: int, text: str
    ) -> None:
        """Percentages are exact counts rounded half up to one decimal, for display only."""
        assert Ratio(num, den).text == text

    def test_change_is_signed_percentage_points_when_before_and_after_differ(self) -> None:
        """After minus before, exactly: 9/10 vs 1/2 is +40.0 pts; 1/3 vs 1/2 is −16.7 pts."""
        assert change_text(Ratio(1, 2), Ratio(9, 10)) == "+40.0 pts"
        assert change_text(Ratio(1, 2), Ratio(1, 3)) == "−16.7 pts"
        assert change_text(Ratio(1, 2), Ratio(2, 4)) == "0.0 pts"
        assert change_text(Ratio(0, 0), Ratio(1, 2)) == "–"


class TestSchoolFigures:
    def test_whole_school_counts_match_the_hand_count_when_measured(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """School A: 58 possible (A5's X sessions are not possible), 49 attended, 6 authorised,
        3 unauthorised; PA 4 of 6 (A2 at exactly 90 % counts); SA 1 of 6 (A4 at 50 %)."""
        a, b = schools
        assert a.figures.whole == Totals(6, 58, 49, 6, 3, 4, 1)
        assert b.figures.whole == Totals(4, 40, 31, 6, 3, 2, 1)
        w = a.figures.whole
        assert [
            w.attendance.text,
            w.authorised_rate.text,
            w.unauthorised_rate.text,
            w.absence.text,
            w.persistent_rate.text,
            w.severe_rate.text,
        ] == ["84.5%", "10.3%", "5.2%", "15.5%", "66.7%", "16.7%"]

    def test_cohorts_add_up_by_partition_when_pupils_are_grouped(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """PP A1–A3: 30 possible, 27 attended (90.0 %), PA 2; not PP A4–A6: 28 possible, 22
        attended (78.6 %); SEN support is A2 alone, EHCP and looked after A4 alone."""
        by = schools[0].figures.by_cohort
        pp, not_pp = by[Cohort(PUPIL_PREMIUM, "yes", "")], by[Cohort(PUPIL_PREMIUM, "no", "")]
        assert pp == Totals(3, 30, 27, 1, 2, 2, 0)
        assert not_pp == Totals(3, 28, 22, 5, 1, 2, 1)
        assert pp + not_pp == by[WHOLE]
        assert (pp.attendance.text, not_pp.attendance.text) == ("90.0%", "78.6%")
        assert by[Cohort("sen", "K", "")].pupils == 1
        assert by[Cohort("sen", "E", "")] == by[Cohort("looked_after", "yes", "")]
        assert by[Cohort("year_group", "6", "")] == Totals(2, 18, 17, 0, 1, 1, 0)

    def test_la_total_adds_the_schools_when_combined(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """A + B: 98 possible, 80 attended (81.6 %), PA 6 of 10 (60.0 %), SA 2 of 10."""
        la = total(s.figures for s in schools).whole
        assert la == Totals(10, 98, 80, 12, 6, 6, 2)
        assert (la.attendance.text, la.persistent_rate.text, la.severe_rate.text) == (
            "81.6%",
            "60.0%",
            "20.0%",
        )

    def test_a_pupil_with_no_possible_session_is_counted_nowhere_when_absent_from_the_roll(
        self, calendar: SchoolCalendar
    ) -> None:
        """A pupil with only X marks (or none) adds no pupil and no sessions."""
        pupils = {**SCHOOL_B, "B5": (_traits(), _week((10, "X"))), "B6": (_traits(), [])}
        figures = school_figures(_data("100002", pupils, calendar), WEEK)
        assert figures.figures.whole == Totals(4, 40, 31, 6, 3, 2, 1)

    def test_term_figures_measure_each_term_separately_when_the_period_spans_terms(
        self, calendar: SchoolCalendar
    ) -> None:
        """Autumn week all present, spring week half absent: two term rows, 100 % and 50 %."""
        spring = date(2026, 1, 12)
        marks = _week((10, "/")) + _week((5, "/"), (5, "O"), monday=spring)
        data = _data("100001", {"P1": (_traits(), marks)}, calendar)
        figures = school_figures(data, Period(MONDAY, spring + timedelta(days=4), on=spring))
        by_term = figures.figures.by_term
        assert by_term == {
            TermKey(2025, 0): Totals(1, 10, 10, 0, 0, 0, 0),
            TermKey(2025, 1): Totals(1, 10, 5, 0, 5, 1, 1),
        }
        assert [k.label for k in by_term] == ["Autumn 2025/26", "Spring 2025/26"]


class TestSuppression:
    def test_a_small_row_is_hidden_with_its_smallest_sibling_when_in_a_partition(self) -> None:
        """PP yes (2) is under 5; PP no would give it away (total − no), so it hides too."""
        sizes = {"all": 30, "pp": 2, "not_pp": 28, "lac": 1}
        partitions = {"all": None, "pp": "pp", "not_pp": "pp", "lac": None}
        assert suppressed(sizes, partitions, 5) == {"pp", "not_pp", "lac"}

    def test_hidden_rows_grow_until_they_hold_the_threshold_when_several_are_small(
        self,
    ) -> None:
        """Years 1 (1 pupil) and 2 (2 pupils) hidden hold only 3 < 5: year 3 (8) hides too,
        year 4 (40) stays; a row in no partition hides alone."""
        sizes = {"y1": 1, "y2": 2, "y3": 8, "y4": 40, "other": 4}
        partitions = {"y1": "year", "y2": "year", "y3": "year", "y4": "year", "other": None}
        assert suppressed(sizes, partitions, 5) == {"y1", "y2", "y3", "other"}

    def test_a_never_shown_row_counts_as_hidden_when_its_siblings_are_judged(self) -> None:
        """A never-shown rest of 1 pupil forces its shown sibling (20) out; a rest of 30 is a
        safe group to derive, so its sibling stays."""
        assert suppressed({"fsm": 20, "rest": 1}, {"fsm": "f", "rest": "f"}, 5, {"rest"}) == {
            "fsm",
            "rest",
        }
        assert suppressed({"fsm": 20, "rest": 30}, {"fsm": "f", "rest": "f"}, 5, {"rest"}) == {
            "rest"
        }

    def test_a_flag_is_suppressed_when_the_rest_of_the_school_is_small(self) -> None:
        """FSM 5 of 6 pupils: all − FSM would show one pupil, so FSM is hidden; 5 of 10 is fine."""
        fsm = Cohort("fsm", "yes", "Free school meals")
        assert fsm in hidden_cohorts({WHOLE: 6, fsm: 5}, 5)
        assert fsm not in hidden_cohorts({WHOLE: 10, fsm: 5}, 5)

    def test_nothing_is_hidden_when_every_row_reaches_the_threshold(self) -> None:
        sizes = {"a": 5, "b": 6}
        assert suppressed(sizes, {"a": "p", "b": "p"}, 5) == frozenset()

    def test_cohort_rows_show_suppressed_when_under_the_minimum(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """min 3: PP yes/no (3 each) shown; SEN K (1) and E (1) hidden, so is No SEN (4) as
        their complement; looked after (1) hidden. min 4: both PP rows hidden. The LA column
        is suppressed on the LA's own group sizes."""
        a, b = schools
        rows = {r.label: r for r in cohort_rows(a.figures.by_cohort, 3, b.figures.by_cohort)}
        assert rows["All pupils"].value == a.figures.whole
        assert rows["Pupil premium"].value == Totals(3, 30, 27, 1, 2, 2, 0)
        assert rows["Not pupil premium"].value is not None
        assert [
            rows[k].value for k in ("SEN support (K)", "EHCP (E)", "No SEN", "Looked after")
        ] == [None, None, None, None]
        # The comparison column is suppressed on its own sizes: B has 2 PP and 2 not PP.
        assert (rows["Pupil premium"].comparison, rows["Not pupil premium"].comparison) == (
            None,
            None,
        )
        looser = {r.label: r for r in cohort_rows(a.figures.by_cohort, 2, b.figures.by_cohort)}
        assert looser["Pupil premium"].comparison == Totals(2, 20, 11, 6, 3, 2, 1)  # B3, B4
        tighter = {r.label: r for r in cohort_rows(a.figures.by_cohort, 4)}
        assert tighter["Pupil premium"].value is None
        assert tighter["Not pupil premium"].value is None

    def test_a_small_school_is_hidden_with_another_when_the_la_total_is_shown(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """min 5: B (4 pupils) is hidden, and A too, or LA − A would give B back."""
        assert [r.value for r in school_rows(list(schools), 5)] == [None, None]
        assert [r.value is None for r in school_rows(list(schools), 4)] == [False, False]

    def test_documents_print_suppressed_instead_of_figures_when_cohorts_are_small(
        self, schools: tuple[SchoolFigures, SchoolFigures]
    ) -> None:
        """Governors' document at min 5: the whole school (6) shows its figures, every cohort
        row under 5 reads 'suppressed' in every cell; the LA document hides both schools."""
        a, b = schools
        doc = governors_document(a, b.figures, WEEK, la_name="Test LA", min_cohort=5)
        table = doc.sections[1].parts[0]
        cells = {row.cells[0]: row.cells[1:] for row in table.rows}  # type: ignore[union-attr]
        assert cells["All pupils"][:3] == ("6", "84.5%", "15.5%")
        assert set(cells["Pupil premium"]) == {"suppressed"}
        headline = doc.sections[0].parts[0]
        assert headline.rows[1].cells[2] == "suppressed"  # type: ignore[union-attr]  # B: 4
        la = la_document(list(schools), WEEK, la_name="Test LA", min_cohort=5)
        la_rows = la.sections[0].parts[0].rows  # type: ignore[union-attr]
        assert [r.suppressed for r in la_rows] == [True, True, False]
        assert la_rows[-1].cells[:3] == ("LA total", "10", "81.6%")


class TestTerms:
    def test_a_year_splits_into_autumn_spring_summer_at_christmas_and_easter(
        self, calendar: SchoolCalendar
    ) -> None:
        """February and May half terms (one week) do not split a term; Easter (two) does."""
        terms = terms_between(calendar, date(2025, 8, 1), date(2026, 7, 31))
        assert [(t.key.label, t.first_day, t.last_day) for t in terms] == [
            ("Autumn 2025/26", date(2025, 9, 3), date(2025, 12, 19)),
            ("Spring 2025/26", date(2026, 1, 5), date(2026, 3, 27)),
            ("Summer 2025/26", date(2026, 4, 13), date(2026, 7, 21)),
        ]

    def test_terms_are_clipped_to_the_window_and_need_an_easter_break_when_partial(self) -> None:
        """A calendar imported only to March has no summer term; the window clips dates."""
        partial = make_calendar(terms=TERMS[6:10])
        terms = terms_between(partial, date(2025, 10, 1), date(2026, 7, 31))
        assert [(t.key.index, t.first_day, t.last_day) for t in terms] == [
            (0, date(2025, 10, 1), date(2025, 12, 19)),
            (1, date(2026, 1, 5), date(2026, 3, 27)),
        ]


ENTERED = date(2025, 11, 12)  # a Wednesday; the school week before 3 Nov is half term


def _effect_marks() -> list[SessionMark]:
    """Before (weeks of 20 Oct and 3 Nov): 10 of 20 attended. Entry week: all N (left out).
    After (weeks of 17 and 24 Nov): 18 of 20 attended."""
    return (
        _week((5, "/"), (5, "O"), monday=date(2025, 10, 20))
        + _week((5, "/"), (5, "O"), monday=date(2025, 11, 3))
        + _week((10, "N"), monday=date(2025, 11, 10))
        + _week((10, "/"), monday=date(2025, 11, 17))
        + _week((8, "/"), (2, "I"), monday=date(2025, 11, 24))
    )


class TestWhatWorked:
    def test_windows_skip_half_term_and_the_entry_week_when_counting_school_weeks(
        self, calendar: SchoolCalendar
    ) -> None:
        before, after = effect_windows(calendar, ENTERED, 2)
        assert (before.first, before.last) == (date(2025, 10, 20), date(2025, 11, 9))
        assert (after.first, after.last) == (date(2025, 11, 17), date(2025, 11, 30))

    def test_before_and_after_match_the_hand_count_when_the_after_window_has_ended(
        self, calendar: SchoolCalendar
    ) -> None:
        """50 % before, 90 % after, the entry week's N marks in neither: improved."""
        row = StageRow("P1", "attendance_plan", ENTERED, None)
        effect = stage_effect(row, _effect_marks(), calendar, 2, date(2025, 11, 28))
        assert (effect.before.attended, effect.before.possible) == (10, 20)
        assert (effect.after.attended, effect.after.possible) == (18, 20)
        assert effect.enough_data
        assert effect.outcome == "improved"

    def test_not_enough_data_when_the_after_window_is_unfinished_or_thin(
        self, calendar: SchoolCalendar
    ) -> None:
        """A day before the window ends, or with under 5 possible sessions a week, or beyond
        the calendar, the effect is not counted."""
        row = StageRow("P1", "attendance_plan", ENTERED, None)
        early = stage_effect(row, _effect_marks(), calendar, 2, date(2025, 11, 27))
        assert not early.enough_data
        assert early.outcome is None
        thin = [m for m in _effect_marks() if m.school_date < date(2025, 11, 20)]
        assert not stage_effect(row, thin, calendar, 2, date(2025, 11, 28)).enough_data
        late = StageRow("P1", "attendance_plan", date(2026, 7, 15), None)
        assert stage_effect(late, [], calendar, 2, date(2026, 9, 1)).before_window is None

    def test_tally_pools_pupils_with_enough_data_per_cohort_when_summarised(
        self, calendar: SchoolCalendar
    ) -> None:
        """Two pupils: one improved (10/20 -> 18/20), one not yet measurable: 2 entries,
        1 with enough data; the PP cohort holds the measured one only."""
        row = StageRow("P1", "attendance_plan", ENTERED, None)
        good = stage_effect(row, _effect_marks(), calendar, 2, date(2025, 11, 28))
        early = stage_effect(
            StageRow("P2", "attendance_plan", ENTERED, None), [], calendar, 2, date(2025, 11, 28)
        )
        tallies = tally([(good, cohorts_of(_traits(pp=True))), (early, cohorts_of(_traits()))])
        whole = tallies[("attendance_plan", WHOLE)]
        assert whole == EffectTally(2, 1, 10, 20, 18, 20, 1, 0, 0)
        assert (whole.before.text, whole.after.text) == ("50.0%", "90.0%")
        assert tallies[("attendance_plan", Cohort(PUPIL_PREMIUM, "yes", ""))].pupils == 1
        assert tallies[("attendance_plan", Cohort(PUPIL_PREMIUM, "no", ""))].pupils == 0

    def test_only_each_pupils_first_entry_in_the_period_counts_when_re_entered(self) -> None:
        rows = [
            StageRow("P1", "home_visit", date(2025, 10, 1), date(2025, 10, 5)),
            StageRow("P1", "home_visit", date(2025, 11, 1), None),
            StageRow("P1", "attendance_plan", date(2025, 8, 1), None),  # before the period
        ]
        assert first_entries(rows, date(2025, 9, 1), date(2025, 12, 31)) == [rows[0]]


class TestActions:
    def test_counts_are_as_they_stood_on_the_report_date(self) -> None:
        """Open stages on `on` by pupil; a decision approved after `on` still reads requested;
        a notice paid after `on` reads issued, one past its last day unpaid reads expired; a
        task due before `on` and completed after it is overdue."""
        on = date(2025, 11, 20)
        stages = [
            StageRow("P1", "attendance_plan", date(2025, 10, 1), None),
            StageRow("P1", "la_referral", date(2025, 10, 1), None),
            StageRow("P2", "attendance_plan", date(2025, 10, 1), date(2025, 11, 25)),
            StageRow("P3", "attendance_plan", date(2025, 10, 1), date(2025, 11, 1)),
            StageRow("P4", "home_visit", date(2025, 11, 21), None),
        ]
        decisions = [
            DecisionRow("penalty_notice", "approved", date(2025, 11, 1), date(2025, 11, 3)),
            DecisionRow("penalty_notice", "approved", date(2025, 11, 1), date(2025, 11, 30)),
            DecisionRow("prosecution", "declined", date(2025, 8, 1), date(2025, 8, 2)),
        ]
        notices = [
            NoticeRow(date(2025, 11, 3), date(2025, 12, 1), date(2025, 11, 25), None),
            NoticeRow(date(2025, 9, 3), date(2025, 10, 1), None, None),
            NoticeRow(date(2025, 9, 3), date(2025, 10, 1), date(2025, 9, 20), None),
        ]
        tasks = [
            TaskRow(
                "home_visit", "completed", date(2025, 11, 1), date(2025, 11, 5), date(2025, 11, 21)
            ),
            TaskRow(
                "home_visit", "completed", date(2025, 11, 1), date(2025, 11, 5), date(2025, 11, 4)
            ),
            TaskRow("call_parent", "open", date(2025, 11, 20), date(2025, 11, 20), None),
        ]
        counts = count_actions(
            stages, decisions, notices, tasks, start=date(2025, 9, 1), end=on, on=on
        )
        assert counts.open_cases == 2
        assert counts.open_by_stage == Counter({"attendance_plan": 2, "la_referral": 1})
        assert counts.decisions == Counter(
            {("penalty_notice", "approved"): 1, ("penalty_notice", "requested"): 1}
        )
        assert counts.notices == Counter({"issued": 1, "expired": 1, "paid": 1})
        assert counts.overdue_tasks == Counter({"home_visit": 1})


class TestCharts:
    def test_suppressed_rows_get_no_bar_and_text_is_escaped_when_drawn(self) -> None:
        """A suppressed cohort leaves the chart (the title counts it); labels are escaped."""
        rows = [
            Row("<b>All</b>", Totals(6, 58, 49, 6, 3, 4, 1), Totals(4, 40, 31, 6, 3, 2, 1)),
            Row("Looked after", None),
        ]
        svg = attendance_bars(rows, title="Attendance by group", marker="LA")
        assert svg.startswith("<svg")
        assert svg.count("<rect") == 1
        assert "Attendance by group (1 suppressed)" in svg
        assert "&lt;b&gt;All&lt;/b&gt;" in svg
        assert "<b>" not in svg
        assert "84.5%" in svg
        assert "Looked after" not in svg

    def test_count_axis_uses_round_steps_when_scaling(self) -> None:
        assert [(a.high, a.step) for a in map(count_axis, ([3], [7], [45], [187]))] == [
            (5.0, 1.0),
            (10.0, 2.0),
            (50.0, 10.0),
            (250.0, 50.0),
        ]

    def test_a_run_of_suppressed_cells_is_one_wide_cell_when_laid_out(self) -> None:
        row = TableRow(("Year 1", "suppressed", "suppressed", "suppressed", "92.1%", "5.0%"))
        assert row.spans == [("suppressed", 3), ("92.1%", 1), ("5.0%", 1)]
