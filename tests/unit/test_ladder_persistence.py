"""Band-driven support: concern, attendance plan, LA referral, severe absence, lateness.

DOMAIN.md Part 1 rules 2–6, 12, 13, 16 and 17, each pinned to the policy value it uses.
Registers here start on Mon 15 Sep 2025; ten school days are twenty possible sessions.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.core.ladder.engine import decide
from casework.core.ladder.persistent_absence import SEVERE_PRIORITY
from casework.core.ladder.proposals import (
    Channel,
    EnterStage,
    MakeReferral,
    OpenTask,
    RecipientRole,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from casework.core.marks import SessionMark
from tests.ladder_factories import (
    CALENDAR,
    DEFAULT_POLICY,
    UPN,
    case_after,
    entered,
    make_case,
    make_policy,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
    referrals,
    run_sweeps,
    stage_key,
    when,
)

D = date.fromisoformat
BANDS = {Stage.ATTENDANCE_CONCERN, Stage.ATTENDANCE_PLAN, Stage.SEVERE_ABSENCE_PLAN}
NOT_POSSIBLE = ["Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "D", "#", "X"]


def sessions(*codes_and_counts: tuple[str, int], start: str = "2025-09-15") -> list[SessionMark]:
    """Consecutive school sessions from `start`: e.g. ("M", 2), ("/", 18)."""
    slots = CALENDAR.sessions_between(D(start), D("2026-07-31"))
    codes = [code for code, count in codes_and_counts for _ in range(count)]
    return [
        SessionMark(day, session, code) for (day, session), code in zip(slots, codes, strict=False)
    ]


def last_sweep(marks: list[SessionMark]) -> str:
    return f"{marks[-1].school_date.isoformat()} {marks[-1].session.value}"


def bands_entered(marks: list[SessionMark], **policy: dict[str, object]) -> set[Stage]:
    chosen = make_policy(**policy) if policy else DEFAULT_POLICY
    decisions = decide(make_view(marks, last_sweep(marks)), chosen)
    return set(entered(decisions)) & BANDS


class TestBands:
    @pytest.mark.parametrize(
        ("register", "expected"),
        [
            ((("/", 18), ("M", 2)), {Stage.ATTENDANCE_PLAN}),  # exactly 90.0 % is persistent
            ((("/", 19), ("M", 1)), set()),  # exactly 95.0 % is not at risk
            ((("/", 37), ("M", 3)), {Stage.ATTENDANCE_CONCERN}),  # 92.5 %
            ((("/", 19), ("M", 2)), {Stage.ATTENDANCE_CONCERN}),  # 90.48 %: not quite persistent
            ((("/", 10), ("I", 10)), {Stage.ATTENDANCE_PLAN, Stage.SEVERE_ABSENCE_PLAN}),  # 50 %
            ((("/", 11), ("I", 9)), {Stage.ATTENDANCE_PLAN}),  # 55 %
            ((("/", 17), ("M", 2)), set()),  # 19 possible: too few to judge (rule 5)
            (
                (("V", 10), ("/", 8), ("M", 2)),
                {Stage.ATTENDANCE_PLAN},
            ),  # educational counts as attended
        ],
    )
    def test_band_stage_entered_when_measures_cross_the_line(
        self, register: tuple[tuple[str, int], ...], expected: set[Stage]
    ) -> None:
        """Bands compare integers: absent x 10 >= possible is persistent, x 2 is severe, and
        attendance below 95 % is at risk; nothing before 20 possible sessions."""
        assert bands_entered(sessions(*register)) == expected

    @pytest.mark.parametrize(
        ("register", "expected"),
        [
            ((("/", 18), ("M", 2)), {Stage.ATTENDANCE_PLAN}),
            ((("/", 19), ("M", 1)), set()),
        ],
    )
    def test_not_possible_codes_change_nothing_when_mixed_into_the_register(
        self, register: tuple[tuple[str, int], ...], expected: set[Stage]
    ) -> None:
        """Y1–Y7, D, # and X are not possible sessions: they neither lower nor raise attendance."""
        marks = sessions(*((code, 1) for code in NOT_POSSIBLE), *register)
        assert bands_entered(marks) == expected

    @pytest.mark.parametrize("legacy", ["H", "F"])
    def test_legacy_holiday_codes_count_as_authorised_absence_when_in_old_files(
        self, legacy: str
    ) -> None:
        """Rule 1: pre-2024 H and F are authorised absences; they count, without a first-day
        call."""
        marks = sessions(("/", 18), (legacy, 2))
        decisions = decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        assert set(entered(decisions)) & BANDS == {Stage.ATTENDANCE_PLAN}
        assert Stage.FIRST_DAY_CALL not in entered(decisions)

    def test_concern_line_follows_policy_when_concern_below_percent_changes(self) -> None:
        """`bands.concern_below_percent` is the at-risk line (rule 4, local choice)."""
        marks = sessions(("/", 19), ("M", 1))  # 95.0 %
        assert bands_entered(marks, bands={"concern_below_percent": 96}) == {
            Stage.ATTENDANCE_CONCERN
        }

    def test_bands_wait_for_policy_minimum_when_min_possible_sessions_changes(self) -> None:
        """`bands.min_possible_sessions` decides when a band may first be judged (rule 5)."""
        marks = sessions(("/", 9), ("M", 1))  # 10 possible, 90 %
        assert bands_entered(marks) == set()
        assert bands_entered(marks, bands={"min_possible_sessions": 10}) == {Stage.ATTENDANCE_PLAN}

    def test_year_starts_on_first_august_when_last_year_was_poor(self) -> None:
        """Measures are year to date (rule 2): last July's absences do not count in September."""
        marks = sessions(("I", 20), start="2025-07-01") + sessions(("/", 20), start="2025-09-03")
        assert bands_entered(marks) == set()

    def test_band_stage_entered_once_when_later_sweeps_stay_in_the_band(self) -> None:
        """Emit only on change: an open band stage is not entered again."""
        swept = run_sweeps(sessions(("/", 18), ("M", 2), ("M", 4)), "2025-09-15", "2025-09-30")
        assert when(swept, lambda ds: Stage.ATTENDANCE_PLAN in entered(ds)) == ["2025-09-26 PM"]


class TestAttendanceConcern:
    def test_letter_and_conversation_task_when_pupil_is_at_risk(self) -> None:
        """Rule 12: a concern letter in a written channel and a conversation task due in
        `support.concern_conversation_due_school_days` school days."""
        marks = sessions(("/", 19), ("M", 2))  # ends Mon 29 Sep AM
        decisions = decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        task = of_type(decisions, OpenTask)[0]
        assert (task.kind, task.due_date) == (TaskKind.ATTENDANCE_CONVERSATION, D("2025-10-06"))
        family = [(m.to.channel, m.template) for m in messages(decisions)]
        assert family == [(Channel.EMAIL, "attendance_concern/parent")] * 2

        policy = make_policy(support={"concern_conversation_due_school_days": 2})
        task = of_type(decide(make_view(marks, last_sweep(marks)), policy), OpenTask)[0]
        assert task.due_date == D("2025-10-01")

    @pytest.mark.parametrize("higher", [Stage.ATTENDANCE_PLAN, Stage.SEVERE_ABSENCE_PLAN])
    def test_no_concern_letter_when_a_higher_band_stage_is_still_open(self, higher: Stage) -> None:
        """A pupil on a plan who climbs just above 90 % is not sent a lower-rung concern letter:
        the plan stays until recovery closes it."""
        marks = sessions(("/", 18), ("M", 2), ("/", 1))  # 19 of 21 (90.5 %), day after the plan
        case = make_case(
            make_stage(higher, "2025-09-26"), make_stage(Stage.LA_REFERRAL, "2025-09-26")
        )
        decisions = decide(make_view(marks, last_sweep(marks), case=case), DEFAULT_POLICY)
        assert Stage.ATTENDANCE_CONCERN not in entered(decisions)

    def test_nothing_when_concern_stage_is_already_open(self) -> None:
        """Emit only on change."""
        marks = sessions(("/", 19), ("M", 2))
        case = make_case(make_stage(Stage.ATTENDANCE_CONCERN, "2025-09-22"))
        assert decide(make_view(marks, last_sweep(marks), case=case), DEFAULT_POLICY) == []


class TestAttendancePlan:
    def test_meeting_task_invitation_and_la_referral_when_persistently_absent(self) -> None:
        """Rule 13: invitation letter, attendance_meeting task due in 10 school days, and the
        case made known to the LA attendance team at the same time."""
        marks = sessions(("/", 18), ("M", 2))  # ends Fri 26 Sep PM
        decisions = decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        assert entered(decisions) == [
            Stage.ATTENDANCE_PLAN,
            Stage.LA_REFERRAL,
            Stage.STRENGTHS_AND_NEEDS,
        ]
        meeting = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.ATTENDANCE_MEETING]
        assert [t.due_date for t in meeting] == [D("2025-10-10")]
        assert referrals(decisions) == ["persistent_absence"]
        la = [m for m in messages(decisions) if m.to.role is RecipientRole.LA]
        assert [(m.to.address, m.template) for m in la] == [
            ("attendance.team@la.example.org", "la/referral")
        ]

    def test_meeting_due_date_follows_policy_when_meeting_days_change(self) -> None:
        """`support.attendance_meeting_due_school_days` sets the meeting's due date."""
        marks = sessions(("/", 18), ("M", 2))
        policy = make_policy(support={"attendance_meeting_due_school_days": 3})
        decisions = decide(make_view(marks, last_sweep(marks)), policy)
        meeting = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.ATTENDANCE_MEETING]
        assert [t.due_date for t in meeting] == [D("2025-10-01")]

    def test_plan_entry_records_the_measures_when_entered(self) -> None:
        """The plan remembers attended and possible sessions, for the review's comparison."""
        marks = sessions(("/", 18), ("M", 2))
        plan = next(
            d
            for d in of_type(
                decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY), EnterStage
            )
            if d.stage is Stage.ATTENDANCE_PLAN
        )
        assert (plan.context["attended_sessions"], plan.context["possible_sessions"]) == (
            "18",
            "20",
        )
        assert plan.context["attendance_percent"] == "90.0"

    def test_la_referral_made_once_a_year_when_persistence_continues(self) -> None:
        """The persistent-absence referral is keyed by academic year."""
        marks = sessions(("/", 18), ("M", 2))
        view = make_view(marks, last_sweep(marks))
        first = decide(view, DEFAULT_POLICY)
        later = sessions(("/", 18), ("M", 4))
        again = make_view(
            later, last_sweep(later), case=case_after(view.case, first, D("2025-09-26"))
        )
        assert of_type(decide(again, DEFAULT_POLICY), MakeReferral) == []


class TestSevereAbsencePlan:
    def test_individual_plan_top_priority_and_taf_when_half_of_sessions_are_missed(self) -> None:
        """Rules 15–16: severe absence opens a plan meeting due in 5 school days at top
        priority, a letter by post, and convenes a Team Around the Family within 15."""
        marks = sessions(("/", 10), ("I", 10))  # ends Fri 26 Sep PM
        decisions = decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        assert {Stage.SEVERE_ABSENCE_PLAN, Stage.TEAM_AROUND_FAMILY} <= set(entered(decisions))
        tasks = {t.kind: t for t in of_type(decisions, OpenTask)}
        meeting = tasks[TaskKind.SEVERE_ABSENCE_MEETING]
        assert (meeting.due_date, meeting.priority) == (D("2025-10-03"), SEVERE_PRIORITY)
        assert tasks[TaskKind.TAF_MEETING].due_date == D("2025-10-17")
        letters = [m for m in messages(decisions) if m.stage is Stage.SEVERE_ABSENCE_PLAN]
        assert {m.to.channel for m in letters} == {Channel.LETTER}

    def test_severe_meeting_due_date_follows_policy(self) -> None:
        """`support.severe_meeting_due_school_days` sets when the meeting is due."""
        marks = sessions(("/", 10), ("I", 10))
        policy = make_policy(support={"severe_meeting_due_school_days": 1})
        tasks = {
            t.kind: t
            for t in of_type(decide(make_view(marks, last_sweep(marks)), policy), OpenTask)
        }
        assert tasks[TaskKind.SEVERE_ABSENCE_MEETING].due_date == D("2025-09-29")

    def test_nothing_new_when_severe_plan_and_taf_are_open(self) -> None:
        """Emit only on change."""
        marks = sessions(("/", 10), ("I", 10))
        view = make_view(marks, last_sweep(marks))
        case = case_after(view.case, decide(view, DEFAULT_POLICY), D("2025-09-26"))
        assert decide(make_view(marks, last_sweep(marks), case=case), DEFAULT_POLICY) == []


class TestPersistentLateness:
    def test_meeting_when_ten_late_marks_fall_in_six_school_weeks(self) -> None:
        """Rule 17: ten L marks in the last six school weeks open a lateness meeting."""
        marks = sessions(*(("L", 1), ("\\", 1)) * 10)  # L every morning for two weeks
        decisions = decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        assert entered(decisions) == [Stage.PERSISTENT_LATENESS]
        assert [t.kind for t in of_type(decisions, OpenTask)] == [TaskKind.LATENESS_MEETING]
        assert of_type(decisions, EnterStage)[0].key == stage_key(
            Stage.PERSISTENT_LATENESS, "2025-09-26"
        )

    def test_nothing_when_nine_late_marks(self) -> None:
        """Nine is below `support.lateness_marks`."""
        marks = sessions(*(("L", 1), ("\\", 1)) * 9)
        assert decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY) == []

    def test_threshold_follows_policy_when_lateness_marks_changes(self) -> None:
        """`support.lateness_marks` is the count (local choice)."""
        marks = sessions(*(("L", 1), ("\\", 1)) * 5)
        policy = make_policy(support={"lateness_marks": 5})
        assert entered(decide(make_view(marks, last_sweep(marks)), policy)) == [
            Stage.PERSISTENT_LATENESS
        ]

    @pytest.mark.parametrize(
        ("sweep", "weeks", "expected"),
        [
            (
                "Mon 2025-11-03 AM",
                6,
                True,
            ),  # half term is not a school week: six still reach 22 Sep
            ("Mon 2025-11-10 AM", 6, False),  # the week of 22 Sep has left the window
            ("Mon 2025-11-03 AM", 5, False),
        ],
    )
    def test_window_counts_school_weeks_when_it_spans_half_term(
        self, sweep: str, weeks: int, expected: bool
    ) -> None:
        """Rule 6: the window is school weeks, so a holiday week does not use one up."""
        # Late on Monday and Tuesday mornings of the five school weeks before half term
        late = ", ".join(
            f"{day} AM L"
            for monday in ("2025-09-22", "2025-09-29", "2025-10-06", "2025-10-13", "2025-10-20")
            for day in (D(monday), D(monday) + timedelta(days=1))
        )
        marks = make_register("2025-09-22", "2025-11-10", overrides=late)
        policy = make_policy(support={"lateness_window_school_weeks": weeks})
        decisions = decide(make_view(marks, sweep), policy)
        assert (Stage.PERSISTENT_LATENESS in entered(decisions)) is expected

    def test_late_after_register_closed_is_not_lateness_when_coded_u(self) -> None:
        """U is an unauthorised absence, not a late arrival counted towards lateness."""
        marks = sessions(*(("U", 1), ("\\", 1)) * 10)
        assert Stage.PERSISTENT_LATENESS not in entered(
            decide(make_view(marks, last_sweep(marks)), DEFAULT_POLICY)
        )

    def test_pupil_named_once_when_recorded_key_matches(self) -> None:
        """Emit only on change: an open lateness stage is not entered again."""
        marks = sessions(*(("L", 1), ("\\", 1)) * 12)
        case = make_case(make_stage(Stage.PERSISTENT_LATENESS, "2025-09-26"))
        assert decide(make_view(marks, last_sweep(marks), case=case), DEFAULT_POLICY) == []
        assert UPN in case.stages[0].key
