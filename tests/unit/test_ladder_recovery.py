"""De-escalation: a band stage closes, with a letter that says so, once attendance has stayed on
the right side of its line for the whole review window (`bands.recovery_school_weeks`)."""

from __future__ import annotations

from datetime import date

from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import CloseStage
from casework.core.ladder.stages import Stage
from tests.factories import make_calendar
from tests.ladder_factories import (
    DEFAULT_POLICY,
    closed,
    make_case,
    make_policy,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
    run_sweeps,
    when,
)

D = date.fromisoformat
# Off the whole first day, present since: 95 % is reached on Fri 3 Oct (38 of 40) and held.
RECOVERING = make_register("2025-09-03", "2025-12-19", overrides="2025-09-03 M")
CONCERN = make_stage(Stage.ATTENDANCE_CONCERN, "2025-09-15")


class TestRecovery:
    def test_concern_closes_when_above_the_line_for_six_school_weeks(self) -> None:
        """The window is the current school week and the five before it (half term skipped):
        on Mon 17 Nov it starts Mon 6 Oct, the first full week above 95 %."""
        swept = run_sweeps(RECOVERING, "2025-11-03", "2025-11-18", case=make_case(CONCERN))
        assert when(swept, lambda ds: Stage.ATTENDANCE_CONCERN in closed(ds)) == ["2025-11-17 AM"]

    def test_recovery_letter_says_which_stage_closed(self) -> None:
        """Families hear that the stage has closed, in a written channel."""
        view = make_view(RECOVERING, "2025-11-17 AM", case=make_case(CONCERN))
        decisions = decide(view, DEFAULT_POLICY)
        assert of_type(decisions, CloseStage)[0].reason == "attendance recovered"
        letters = messages(decisions)
        assert {m.template for m in letters} == {"recovery/parent"}
        assert {m.context["closed_stage_title"] for m in letters} == {"Attendance concern"}

    def test_window_follows_policy_when_recovery_school_weeks_changes(self) -> None:
        """With a two-week window the concern closes on Mon 13 Oct."""
        policy = make_policy(bands={"recovery_school_weeks": 2})
        swept = run_sweeps(
            RECOVERING, "2025-10-06", "2025-10-14", case=make_case(CONCERN), policy=policy
        )
        assert when(swept, lambda ds: Stage.ATTENDANCE_CONCERN in closed(ds)) == ["2025-10-13 AM"]

    def test_nothing_closes_when_attendance_dipped_inside_the_window(self) -> None:
        """One day-end below the line inside the window keeps the stage open."""
        dipped = make_register(
            "2025-09-03", "2025-12-19", overrides="2025-09-03 M, 2025-10-09 M, 2025-10-10 M"
        )
        view = make_view(dipped, "2025-11-17 AM", case=make_case(CONCERN))
        assert closed(decide(view, DEFAULT_POLICY)) == []

    def test_nothing_closes_when_the_stage_was_entered_inside_the_window(self) -> None:
        """A stage must have been open for the whole window before it can close."""
        late = make_stage(Stage.ATTENDANCE_CONCERN, "2025-10-06")
        view = make_view(RECOVERING, "2025-11-17 AM", case=make_case(late))
        assert closed(decide(view, DEFAULT_POLICY)) == []

    def test_severe_plan_closes_while_attendance_plan_stays_when_only_severe_recovers(self) -> None:
        """Each band stage recovers against its own line: 50 % for severe, 90 % for the plan."""
        # Absent all of 3–12 Sep (16 sessions), then present: 80 % by 17 Nov, above 50 % since
        # mid-September.
        register = make_register(
            "2025-09-03",
            "2025-12-19",
            overrides=", ".join(f"2025-09-{d:02d} I" for d in (3, 4, 5, 8, 9, 10, 11, 12)),
        )
        case = make_case(
            make_stage(Stage.ATTENDANCE_PLAN, "2025-09-12"),
            make_stage(Stage.SEVERE_ABSENCE_PLAN, "2025-09-12"),
            make_stage(Stage.LA_REFERRAL, "2025-09-12"),
            make_stage(Stage.STRENGTHS_AND_NEEDS, "2025-09-12"),
            make_stage(Stage.TEAM_AROUND_FAMILY, "2025-09-12"),
        )
        decisions = decide(make_view(register, "2025-11-17 AM", case=case), DEFAULT_POLICY)
        assert closed(decisions) == [Stage.SEVERE_ABSENCE_PLAN]

    def test_plan_closes_when_no_longer_persistent_for_the_window(self) -> None:
        """Attendance back above 90 % for the window closes the attendance plan."""
        register = make_register("2025-09-03", "2025-12-19", overrides="2025-09-03 M, 2025-09-04 M")
        case = make_case(make_stage(Stage.ATTENDANCE_PLAN, "2025-09-15"))
        decisions = decide(make_view(register, "2025-11-17 AM", case=case), DEFAULT_POLICY)
        assert closed(decisions) == [Stage.ATTENDANCE_PLAN]


class TestRecoveryAcrossYears:
    def test_last_years_plan_closes_only_after_six_school_weeks_of_the_new_year(self) -> None:
        """Measures restart on 1 August, so one good morning in September is not six weeks of
        recovery: a plan carried over from last year closes on Mon 6 Oct, the sixth school
        week of the new year."""
        mondays = "2025-03-03 M, 2025-03-10 M, 2025-03-17 M, 2025-03-24 M"
        register = make_register("2025-03-03", "2025-07-22", overrides=mondays)
        register += make_register("2025-09-03", "2025-10-10")
        case = make_case(make_stage(Stage.ATTENDANCE_PLAN, "2025-03-14"))
        swept = run_sweeps(register, "2025-09-03", "2025-10-10", case=case)
        assert when(swept, lambda ds: Stage.ATTENDANCE_PLAN in closed(ds)) == ["2025-10-06 AM"]

    def test_nothing_closes_when_the_calendar_holds_fewer_weeks_than_the_window(self) -> None:
        """A calendar starting this September cannot show six weeks held in week two."""
        calendar = make_calendar(terms=(("2025-09-03", "2025-10-24"),))
        case = make_case(make_stage(Stage.ATTENDANCE_PLAN, "2025-06-02"))
        register = make_register("2025-09-03", "2025-09-12", calendar=calendar)
        view = make_view(register, "2025-09-12 PM", case=case, calendar=calendar)
        assert closed(decide(view, DEFAULT_POLICY)) == []
