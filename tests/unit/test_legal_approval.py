"""The approval checks (casework.core.legal.approval): DOMAIN rules 23, 26, 27 and 39, pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, PupilFacts, StageState, TaskState
from casework.core.legal.approval import (
    FACTORS,
    ApprovalFacts,
    Interview,
    SupportGap,
    approval_problems,
    interview_problems,
    missing_factors,
    prosecution_problems,
    support_gaps,
    support_needs,
)
from casework.core.legal.penalties import ProsecutionClock

ON = date(2025, 11, 17)
ANSWERED = dict.fromkeys(FACTORS, "not applicable")
PUPIL = PupilFacts(
    "A123456789012",
    "100001",
    "Sam",
    "Arch",
    date(2014, 3, 14),
    "7",
    "N",
    False,
    "none",
    None,
    None,
    False,
    (),
)


def facts(**changes: object) -> ApprovalFacts:
    base = ApprovalFacts(
        stage=Stage.PENALTY_NOTICE,
        on=ON,
        pupil=PUPIL,
        factors=ANSWERED,
        support_considered_on=(),
        support_valid_from=date(2025, 8, 25),
        gaps=(),
        gaps_confirmed=False,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def task(kind: str, status: str, due: str) -> TaskState:
    return TaskState(kind, f"k:{kind}", status, date.fromisoformat(due), None, None)


def stage(which: Stage) -> StageState:
    return StageState(which, f"k:{which.value}", "open", date(2025, 10, 1), None, {})


class TestFactors:
    def test_approving_with_no_factors_is_refused_naming_each(self) -> None:
        """Fix 7 / rule 39: no factors at all is refused, naming every missing one."""
        problems = approval_problems(facts(factors={}))
        assert len(problems) == 1
        for name in FACTORS:
            assert name in problems[0]

    def test_an_answer_of_no_or_not_applicable_is_an_answer(self) -> None:
        assert missing_factors(Stage.PENALTY_NOTICE, dict.fromkeys(FACTORS, "no")) == []
        assert approval_problems(facts()) == []

    def test_an_empty_factor_is_refused(self) -> None:
        assert missing_factors(Stage.PENALTY_NOTICE, {**ANSWERED, "social_care": "  "}) == [
            "social_care"
        ]

    def test_a_prosecution_needs_an_eso_considered_and_a_contract_explored(self) -> None:
        """Rule 26: a plain no is not a consideration."""
        got = missing_factors(Stage.PROSECUTION, {**ANSWERED, "eso_considered": "no"})
        assert got == ["eso_considered", "contract_explored"]
        done = {**ANSWERED, "eso_considered": "panel: not suitable", "contract_explored": "offered"}
        assert missing_factors(Stage.PROSECUTION, done) == []


class TestSupportConsidered:
    EHCP = replace(PUPIL, sen_status="E")

    def test_needs_name_each_reason(self) -> None:
        pupil = replace(PUPIL, sen_status="E", looked_after=True, cp_cin="CIN")
        assert support_needs(pupil) == ["an EHCP", "a social worker", "looked-after status"]
        assert support_needs(PUPIL) == []

    def test_ehcp_pupil_without_a_record_is_refused(self) -> None:
        problems = approval_problems(facts(pupil=self.EHCP))
        assert problems
        assert "EHCP" in problems[0]

    def test_a_record_inside_the_window_counts(self) -> None:
        got = approval_problems(facts(pupil=self.EHCP, support_considered_on=(date(2025, 9, 1),)))
        assert got == []

    def test_a_record_older_than_the_window_is_not_reused(self) -> None:
        """Fix 7 / rule 39: "support considered" holds only within the policy's window."""
        old = facts(pupil=self.EHCP, support_considered_on=(date(2025, 3, 3),))
        problems = approval_problems(old)
        assert problems
        assert "older than the window starting 2025-08-25" in problems[0]

    def test_recorded_with_the_decision_counts(self) -> None:
        got = approval_problems(
            facts(pupil=self.EHCP, factors={**ANSWERED, "support_considered": "EHCP review"})
        )
        assert got == []


class TestGaps:
    def test_open_and_overdue_support_tasks_and_stages_never_held(self) -> None:
        case = CaseState(
            stages=(stage(Stage.ATTENDANCE_PLAN),),
            tasks=(
                task("attendance_meeting", "open", "2025-11-10"),
                task("consent_request", "acknowledged", "2025-11-20"),
                task("call_parent", "open", "2025-11-01"),  # not a support task
                task("taf_meeting", "completed", "2025-10-01"),
            ),
        )
        got = support_gaps(case, ON, (Stage.ATTENDANCE_PLAN, Stage.TEAM_AROUND_FAMILY))
        assert got == (
            SupportGap("overdue_task", "attendance_meeting", date(2025, 11, 10)),
            SupportGap("open_task", "consent_request", date(2025, 11, 20)),
            SupportGap("never_held", "team_around_family"),
        )
        assert [g.text() for g in got] == [
            "Attendance meeting: overdue, due Mon 10 Nov 2025",
            "Ask consent for the Strengths and Needs form: open, due Thu 20 Nov 2025",
            "Team Around the Family: never held",
        ]

    def test_gaps_need_an_explicit_confirmation(self) -> None:
        gaps = (SupportGap("never_held", "team_around_family"),)
        problems = approval_problems(facts(gaps=gaps))
        assert problems
        assert "--confirm-gaps" in problems[0]
        assert approval_problems(facts(gaps=gaps, gaps_confirmed=True)) == []

    def test_a_confirmation_without_gaps_is_accepted(self) -> None:
        assert approval_problems(facts(gaps_confirmed=True)) == []


class TestAgeAndProsecution:
    def test_below_compulsory_school_age_is_the_only_problem(self) -> None:
        young = replace(PUPIL, date_of_birth=date(2021, 4, 1))
        problems = approval_problems(facts(pupil=young, factors={}))
        assert len(problems) == 1
        assert "compulsory school age" in problems[0]

    def test_prosecution_after_the_time_limit_or_with_no_one_left(self) -> None:
        clock = ProsecutionClock(date(2025, 11, 14), date(2026, 5, 14), date(2026, 4, 16))
        assert prosecution_problems(clock, date(2026, 5, 14), 1) == []
        late = prosecution_problems(clock, date(2026, 5, 15), 1)
        assert late
        assert "2026-05-14" in late[0]
        assert "barred" in prosecution_problems(clock, date(2026, 1, 5), 0)[0]


class TestInterviews:
    def test_a_prosecution_waits_for_each_outcome_or_the_end_of_the_wait(self) -> None:
        """Rule 36: approved once every outcome is recorded or the response time has passed."""
        waiting = Interview("mum", date(2026, 1, 14), None)
        assert "mum (until 2026-01-14)" in interview_problems([waiting], date(2026, 1, 13))[0]
        assert interview_problems([waiting], date(2026, 1, 14)) == []
        answered = Interview("mum", date(2026, 1, 14), "declined")
        assert interview_problems([answered], date(2026, 1, 5)) == []
        assert interview_problems([], date(2026, 1, 5)) == []
