"""Returns to the LA and data-quality alerts: ten days unauthorised, twenty days missing
(CME), fifteen days of illness, an N left unresolved (DOMAIN.md Part 1 rules 10 and 11)."""

from __future__ import annotations

from datetime import date

import pytest

from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import DataAlert, MakeReferral, OpenTask, OwnerRole, TaskKind
from casework.core.marks import SessionMark
from tests.ladder_factories import (
    CALENDAR,
    DEFAULT_POLICY,
    UPN,
    alerts,
    make_case,
    make_policy,
    make_register,
    make_view,
    of_type,
    referrals,
    run_sweeps,
    when,
)

D = date.fromisoformat


def days_of(code: str, start: str, end: str, overrides: str = "") -> list[SessionMark]:
    """A register that is `code` in every session from start to end, present from 3 Sep."""
    before = make_register("2025-09-03", start) if start > "2025-09-03" else []
    before = [m for m in before if m.school_date < D(start)]
    return before + make_register(start, end, code, overrides=overrides)


class TestUnauthorisedReturn:
    @pytest.mark.parametrize(
        ("code", "end", "expected"),
        [
            ("G", "2025-09-26", ["unauthorised_absence"]),  # 10 school days from Mon 15 Sep
            ("G", "2025-09-25", []),  # 9
            ("U", "2025-09-26", ["unauthorised_absence"]),
            ("O", "2025-09-26", ["unauthorised_absence"]),
        ],
    )
    def test_return_made_when_ten_continuous_school_days_are_unauthorised(
        self, code: str, end: str, expected: list[str]
    ) -> None:
        """Rule 10: ten continuous school days of G, N, O or U is an attendance return."""
        marks = days_of(code, "2025-09-15", end)
        found = referrals(decide(make_view(marks, f"{end} PM"), DEFAULT_POLICY))
        assert [r for r in found if r == "unauthorised_absence"] == expected

    def test_mixed_unauthorised_codes_make_one_run(self) -> None:
        """Any mix of G, N, O and U keeps the run going."""
        marks = days_of(
            "G",
            "2025-09-15",
            "2025-09-26",
            overrides=("2025-09-16 N, 2025-09-18 O, 2025-09-22 AM U"),
        )
        assert "unauthorised_absence" in referrals(
            decide(make_view(marks, "2025-09-26 PM"), DEFAULT_POLICY)
        )

    @pytest.mark.parametrize("breaker", ["2025-09-19 PM \\", "2025-09-19 I", "2025-09-19 AM M"])
    def test_no_return_when_one_session_breaks_the_run(self, breaker: str) -> None:
        """A day with any present or authorised session ends the run."""
        marks = days_of("G", "2025-09-15", "2025-09-26", overrides=breaker)
        assert "unauthorised_absence" not in referrals(
            decide(make_view(marks, "2025-09-26 PM"), DEFAULT_POLICY)
        )

    def test_run_counts_school_days_when_it_crosses_half_term(self) -> None:
        """Half term neither breaks nor adds to a run: Mon 20 Oct to Fri 31 Oct is 5 + 5."""
        marks = days_of("G", "2025-10-20", "2025-11-07")
        swept = run_sweeps(marks, "2025-10-20", "2025-11-07")
        assert when(swept, lambda ds: "unauthorised_absence" in referrals(ds)) == ["2025-11-07 AM"]

    def test_days_follow_policy_when_la_referral_unauthorised_days_changes(self) -> None:
        """`absence.la_referral_unauthorised_days` sets the run's length."""
        marks = days_of("G", "2025-09-15", "2025-09-19")
        policy = make_policy(absence={"la_referral_unauthorised_days": 5})
        assert "unauthorised_absence" in referrals(
            decide(make_view(marks, "2025-09-19 AM"), policy)
        )

    def test_one_return_when_the_run_continues(self) -> None:
        """Emit only on change: the return is keyed by where the run began."""
        swept = run_sweeps(days_of("G", "2025-09-15", "2025-10-03"), "2025-09-15", "2025-10-03")
        made = when(swept, lambda ds: "unauthorised_absence" in referrals(ds))
        assert made == ["2025-09-26 AM"]
        key = next(
            r.key
            for s in swept
            for r in of_type(s.decisions, MakeReferral)
            if r.reason == "unauthorised_absence"
        )
        assert key == f"{UPN}:referral:unauthorised_absence:2025-09-15"


class TestChildMissingEducation:
    def test_enquiry_task_when_twenty_school_days_are_all_g_n_or_o(self) -> None:
        """Rule 10: twenty continuous days of G, N or O opens a cme_enquiry task for the LA."""
        swept = run_sweeps(days_of("G", "2025-09-15", "2025-10-14"), "2025-09-15", "2025-10-14")
        tasks = [
            (s.on.school_date, t.owner_role, t.due_date, t.key)
            for s in swept
            for t in of_type(s.decisions, OpenTask)
            if t.kind is TaskKind.CME_ENQUIRY
        ]
        assert tasks == [
            (
                D("2025-10-10"),
                OwnerRole.LA_OFFICER,
                D("2025-10-10"),
                f"{UPN}:cme_enquiry:2025-09-15",
            )
        ]

    def test_no_enquiry_when_a_u_mark_falls_inside_the_twenty_days(self) -> None:
        """U (late after the register closed) means the child was seen: not a CME run."""
        marks = days_of("G", "2025-09-15", "2025-10-10", overrides="2025-09-29 AM U")
        kinds = [
            t.kind
            for t in of_type(decide(make_view(marks, "2025-10-10 PM"), DEFAULT_POLICY), OpenTask)
        ]
        assert TaskKind.CME_ENQUIRY not in kinds

    @pytest.mark.parametrize("code", ["Y5", "D"])
    def test_a_not_possible_day_inside_the_run_breaks_it(self, code: str) -> None:
        """Fix 3 / rule 10: 10 `O` days, one not-possible day, 10 `O` days is no 20-day run."""
        marks = days_of("O", "2025-09-15", "2025-10-13", overrides=f"2025-09-29 {code}")
        kinds = [
            t.kind
            for t in of_type(decide(make_view(marks, "2025-10-13 PM"), DEFAULT_POLICY), OpenTask)
        ]
        assert TaskKind.CME_ENQUIRY not in kinds

    def test_a_not_possible_day_starts_the_ten_day_return_afresh(self) -> None:
        """Fix 3: the 10-day return counts from the day after the break, dated from it."""
        marks = days_of("O", "2025-09-15", "2025-10-10", overrides="2025-09-26 Y5")
        found = of_type(decide(make_view(marks, "2025-10-10 PM"), DEFAULT_POLICY), MakeReferral)
        assert [(r.reason, r.key) for r in found if r.reason == "unauthorised_absence"] == [
            ("unauthorised_absence", f"{UPN}:referral:unauthorised_absence:2025-09-29")
        ]

    def test_days_follow_policy_when_cme_enquiry_days_changes(self) -> None:
        """`absence.cme_enquiry_days` sets the run's length."""
        marks = days_of("N", "2025-09-15", "2025-10-03")  # 15 school days
        policy = make_policy(absence={"cme_enquiry_days": 15})
        kinds = [
            t.kind for t in of_type(decide(make_view(marks, "2025-10-03 AM"), policy), OpenTask)
        ]
        assert TaskKind.CME_ENQUIRY in kinds
        kinds = [
            t.kind
            for t in of_type(decide(make_view(marks, "2025-10-03 AM"), DEFAULT_POLICY), OpenTask)
        ]
        assert TaskKind.CME_ENQUIRY not in kinds


class TestIllnessReturn:
    def test_return_when_fifteen_days_of_illness_are_cumulative(self) -> None:
        """Rule 10: fifteen school days of illness this year, in separate spells, is a return."""
        illness = (
            ", ".join(
                f"{d} I"
                for d in [
                    "2025-09-08",
                    "2025-09-09",
                    "2025-09-10",
                    "2025-09-11",
                    "2025-09-12",
                    "2025-09-22",
                    "2025-09-23",
                    "2025-09-24",
                    "2025-09-25",
                    "2025-09-26",
                    "2025-10-06",
                    "2025-10-07",
                    "2025-10-08",
                    "2025-10-09",
                ]
            )
            + ", 2025-10-13 I"
        )  # 30 sessions: the 30th is the afternoon of Mon 13 October
        marks = make_register("2025-09-03", "2025-10-13", overrides=illness)
        swept = run_sweeps(marks, "2025-10-09", "2025-10-13")
        assert when(swept, lambda ds: "illness" in referrals(ds)) == ["2025-10-13 PM"]

    def test_no_return_when_fifteen_mornings_ill_are_only_seven_and_a_half_days(self) -> None:
        """Rule 10 counts illness in sessions: 15 days of I in the morning and / in the
        afternoon are 15 sessions (7.5 days), not 15 days."""
        mornings = ", ".join(
            f"{day.isoformat()} AM I"
            for day in CALENDAR.school_days(D("2025-09-08"), D("2025-09-26"))
        )
        marks = make_register("2025-09-03", "2025-09-26", overrides=mornings)
        assert mornings.count(" AM I") == 15
        swept = run_sweeps(marks, "2025-09-08", "2025-09-26")
        assert when(swept, lambda ds: "illness" in referrals(ds)) == []

    def test_return_when_thirty_half_days_of_illness_are_reached(self) -> None:
        """30 sessions of I make 15 days, whichever halves of the day they fall in."""
        halves = ", ".join(
            f"{day.isoformat()} {'AM' if n % 2 else 'PM'} I"
            for n, day in enumerate(CALENDAR.school_days(D("2025-09-08"), D("2025-10-17")))
        )
        marks = make_register("2025-09-03", "2025-10-17", overrides=halves)
        assert halves.count(" I") == 30
        swept = run_sweeps(marks, "2025-10-16", "2025-10-17")
        assert when(swept, lambda ds: "illness" in referrals(ds)) == ["2025-10-17 AM"]

    def test_days_follow_policy_when_illness_referral_days_changes(self) -> None:
        """`absence.illness_referral_days` sets the count: 5 days are 10 sessions."""
        marks = days_of("I", "2025-09-15", "2025-09-19")
        policy = make_policy(absence={"illness_referral_days": 5})
        assert "illness" not in referrals(decide(make_view(marks, "2025-09-19 AM"), policy))
        assert "illness" in referrals(decide(make_view(marks, "2025-09-19 PM"), policy))
        assert "illness" not in referrals(decide(make_view(marks, "2025-09-19 PM"), DEFAULT_POLICY))

    def test_nothing_when_case_already_holds_this_years_return(self) -> None:
        """Emit only on change: one illness return a year."""
        marks = days_of("I", "2025-09-08", "2025-09-26")
        case = make_case(keys=[f"{UPN}:referral:illness:2025"])
        assert "illness" not in referrals(
            decide(make_view(marks, "2025-09-26 PM", case=case), DEFAULT_POLICY)
        )


class TestUnresolvedN:
    @pytest.mark.parametrize(
        ("sweep", "expected"),
        [
            ("Fri 2025-09-19 PM", []),  # four school days later
            ("Mon 2025-09-22 AM", ["n_unresolved"]),  # five
        ],
    )
    def test_alert_when_n_is_unresolved_after_five_school_days(
        self, sweep: str, expected: list[str]
    ) -> None:
        """Rule 11: an N still N after five school days is a data alert to the school."""
        marks = make_register("2025-09-15", "2025-09-22", overrides="2025-09-15 AM N")
        assert alerts(decide(make_view(marks, sweep), DEFAULT_POLICY)) == expected

    def test_alert_counts_school_days_when_half_term_intervenes(self) -> None:
        """An N on Fri 24 Oct is five school days old on Fri 7 Nov, not on Wed 29 Oct."""
        marks = make_register("2025-10-24", "2025-11-07", overrides="2025-10-24 PM N")
        swept = run_sweeps(marks, "2025-10-24", "2025-11-07")
        assert when(swept, lambda ds: "n_unresolved" in alerts(ds)) == ["2025-11-07 AM"]

    def test_no_alert_when_the_n_was_amended(self) -> None:
        """An N amended to a reason is resolved."""
        marks = make_register("2025-09-15", "2025-09-22", overrides="2025-09-15 AM M")
        assert alerts(decide(make_view(marks, "Mon 2025-09-22 AM"), DEFAULT_POLICY)) == []

    def test_days_follow_policy_when_n_unresolved_school_days_changes(self) -> None:
        """`absence.n_unresolved_school_days` sets how long an N may wait."""
        marks = make_register("2025-09-15", "2025-09-17", overrides="2025-09-15 AM N")
        policy = make_policy(absence={"n_unresolved_school_days": 2})
        assert alerts(decide(make_view(marks, "Wed 2025-09-17 AM"), policy)) == ["n_unresolved"]

    def test_one_alert_per_mark_when_later_sweeps_still_see_it(self) -> None:
        """Emit only on change: each unresolved N is alerted once."""
        marks = make_register("2025-09-15", "2025-09-26", overrides="2025-09-15 N")
        swept = run_sweeps(marks, "2025-09-15", "2025-09-26")
        found = [
            (s.on.school_date.isoformat(), a.session)
            for s in swept
            for a in of_type(s.decisions, DataAlert)
        ]
        assert found == [("2025-09-22", "AM"), ("2025-09-22", "PM")]
