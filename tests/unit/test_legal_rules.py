"""The legal-step rules (casework.core.ladder.legal): DOMAIN rules 19–20, 23 and 26, pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from casework.core.ladder.engine import decide
from casework.core.ladder.legal import (
    improvement_period,
    penalty_threshold,
    prosecution_time_limit,
)
from casework.core.ladder.proposals import (
    Channel,
    CloseStage,
    EnterStage,
    QueueMessage,
    RecipientRole,
    RequestDecision,
)
from casework.core.ladder.stages import LEGAL_STAGES, Stage
from casework.core.ladder.view import (
    CaseState,
    ContactFacts,
    DecisionState,
    PupilFacts,
    PupilView,
    StageState,
)
from casework.core.policy import Policy, parse_policy
from tests.factories import URN, make_calendar, make_marks, make_sweep

UPN = "A123456789012"
POLICY = Policy()
CALENDAR = make_calendar()
HOLIDAY_WEEK = "2025-11-10 G, 2025-11-11 G, 2025-11-12 G, 2025-11-13 G, 2025-11-14 G"
MIXED_WEEK = "2025-11-10 O, 2025-11-11 O, 2025-11-12 G, 2025-11-13 U, 2025-11-14 N"


def contacts() -> tuple[ContactFacts, ...]:
    return (
        ContactFacts(
            f"{UPN}-1",
            "Alex Arch",
            "mother",
            True,
            1,
            "+447911125005",
            "alex@example.org",
            "sms",
            "en",
            "1 High St",
        ),
    )


def make_view(
    marks: str,
    on: str,
    *,
    born: date = date(2014, 3, 14),
    decisions: Sequence[DecisionState] = (),
    stages: Sequence[StageState] = (),
    keys: Sequence[str] = (),
) -> PupilView:
    pupil = PupilFacts(
        UPN, URN, "Sam", "Arch", born, "7", "N", False, "none", None, None, False, contacts()
    )
    all_keys = {*keys, *(d.key for d in decisions), *(s.key for s in stages)}
    case = CaseState(stages=tuple(stages), decisions=tuple(decisions), keys=frozenset(all_keys))
    return PupilView(
        pupil, "School 100001", make_marks(marks), CALENDAR, case, make_sweep(f"{on} PM")
    )


def decision(
    stage: Stage, status: str, requested: str, *, decided: str | None = None, **context: str
) -> DecisionState:
    key = f"{UPN}:{stage.value}:decision:{requested}"
    decided_date = date.fromisoformat(decided) if decided else None
    return DecisionState(stage, key, status, date.fromisoformat(requested), decided_date, context)


def nti_stage(start: str, end: str, entered: str = "2025-11-17") -> StageState:
    return StageState(
        Stage.NOTICE_TO_IMPROVE,
        f"{UPN}:notice_to_improve:decision:2025-11-14:stage",
        "open",
        date.fromisoformat(entered),
        None,
        {"improvement_from": start, "improvement_to": end, "decision_id": "7"},
    )


class TestThreshold:
    def test_all_holiday_opens_a_decision_on_a_penalty_notice(self) -> None:
        """Rule 20: 10 sessions all G -> a decision on a penalty notice, never a notice."""
        got = penalty_threshold(make_view(HOLIDAY_WEEK, "2025-11-14"), POLICY)
        assert len(got) == 1
        request = got[0]
        assert isinstance(request, RequestDecision)
        assert request.stage is Stage.PENALTY_NOTICE
        assert request.context["sessions"] == "10"
        assert request.context["period_start"] == "2025-11-10"
        assert request.context["last_absence_date"] == "2025-11-14"
        assert request.context["all_holiday"] == "true"

    def test_nine_sessions_open_nothing(self) -> None:
        """Rule 19: the threshold is 10 sessions."""
        view = make_view(HOLIDAY_WEEK.replace("2025-11-14 G", "2025-11-14 AM G"), "2025-11-14")
        assert penalty_threshold(view, POLICY) == []

    def test_mixed_absence_opens_a_decision_on_a_notice_to_improve_first(self) -> None:
        """Rule 20: support is appropriate, so a Notice to Improve comes first."""
        got = penalty_threshold(make_view(MIXED_WEEK, "2025-11-14"), POLICY)
        assert [type(d) for d in got] == [RequestDecision]
        assert got[0].stage is Stage.NOTICE_TO_IMPROVE  # type: ignore[union-attr]

    def test_mixed_absence_goes_to_a_penalty_notice_when_the_policy_has_no_nti(self) -> None:
        """An LA that switched the optional Notice to Improve off decides on a notice directly."""
        policy = parse_policy({"stages": {"disabled": ["notice_to_improve"]}})
        got = penalty_threshold(make_view(MIXED_WEEK, "2025-11-14"), policy)
        assert got[0].stage is Stage.PENALTY_NOTICE  # type: ignore[union-attr]

    def test_mixed_absence_after_an_earlier_nti_asks_for_a_penalty_notice(self) -> None:
        """A Notice to Improve comes first, once: a later threshold asks about a notice."""
        earlier = decision(Stage.NOTICE_TO_IMPROVE, "approved", "2025-09-19", decided="2025-09-22")
        got = penalty_threshold(make_view(MIXED_WEEK, "2025-11-14", decisions=[earlier]), POLICY)
        assert got[0].stage is Stage.PENALTY_NOTICE  # type: ignore[union-attr]
        assert "already given on 2025-09-22" in got[0].reason  # type: ignore[union-attr]

    def test_pupil_below_compulsory_school_age_never_reaches_a_legal_step(self) -> None:
        """Rule 23: born 1 April 2021, CSA starts 31 August 2026."""
        view = make_view(HOLIDAY_WEEK, "2025-11-14", born=date(2021, 4, 1))
        assert penalty_threshold(view, POLICY) == []

    def test_no_duplicate_while_a_legal_decision_is_pending(self) -> None:
        """While a person has not decided, nothing asks again."""
        pending = decision(Stage.PROSECUTION, "requested", "2025-11-03")
        view = make_view(HOLIDAY_WEEK, "2025-11-14", decisions=[pending])
        assert penalty_threshold(view, POLICY) == []

    def test_sessions_weighed_by_an_earlier_decision_are_not_counted_again(self) -> None:
        """After a decision on 12 November only the later 4 sessions count."""
        earlier = decision(Stage.PENALTY_NOTICE, "declined", "2025-11-12", decided="2025-11-12")
        view = make_view(HOLIDAY_WEEK, "2025-11-14", decisions=[earlier])
        assert penalty_threshold(view, POLICY) == []

    def test_a_prosecution_decision_does_not_restart_the_count(self) -> None:
        """Fix 1 / rule 19: only threshold decisions (NTI, penalty notice) weigh sessions."""
        notice = decision(Stage.PENALTY_NOTICE, "approved", "2025-11-14", decided="2025-11-17")
        court = decision(Stage.PROSECUTION, "declined", "2025-12-17", decided="2025-12-17")
        absent = ", ".join(f"2025-12-0{d} O" for d in (1, 2, 3, 4, 5))
        view = make_view(absent, "2025-12-19", decisions=[notice, court])
        got = penalty_threshold(view, POLICY)
        assert [type(d) for d in got] == [RequestDecision]
        assert got[0].context["period_start"] == "2025-12-01"  # type: ignore[union-attr]
        assert got[0].context["window_start"] == "2025-11-15"  # type: ignore[union-attr]

    def test_same_day_decision_is_not_asked_twice(self) -> None:
        """The key makes the AM and PM sweeps of one day ask once."""
        key = f"{UPN}:penalty_notice:decision:2025-11-14"
        view = make_view(HOLIDAY_WEEK, "2025-11-14", keys=[key])
        assert penalty_threshold(view, POLICY) == []

    def test_threshold_waits_while_an_improvement_period_runs(self) -> None:
        """The improvement period's own rule watches for a breach."""
        view = make_view(MIXED_WEEK, "2025-11-14", stages=[nti_stage("2025-11-18", "2025-12-29")])
        assert penalty_threshold(view, POLICY) == []


class TestImprovementPeriod:
    def test_further_unauthorised_session_breaches_and_asks_for_a_penalty_notice(self) -> None:
        """Rule 20 (local choice): any further unauthorised session is a breach."""
        stage = nti_stage("2025-11-18", "2025-12-29")
        view = make_view(f"{MIXED_WEEK}, 2025-11-25 AM O", "2025-11-25", stages=[stage])
        got = improvement_period(view, POLICY)
        assert [type(d) for d in got] == [CloseStage, RequestDecision]
        request = got[1]
        assert isinstance(request, RequestDecision)
        assert request.stage is Stage.PENALTY_NOTICE
        assert request.key == f"{stage.key}:breach"
        assert request.context["period_start"] == "2025-11-25"
        assert request.context["sessions"] == "1"

    def test_the_penalty_notice_names_the_warned_sessions_and_the_breach(self) -> None:
        """Fix 5 / rules 20 and 24: not only the breaching session ("1 sessions")."""
        stage = nti_stage("2025-11-18", "2025-12-29")
        warned = decision(
            Stage.NOTICE_TO_IMPROVE,
            "approved",
            "2025-11-14",
            decided="2025-11-17",
            period_start="2025-11-10",
            period_end="2025-11-14",
            sessions="10",
        )
        view = make_view(
            f"{MIXED_WEEK}, 2025-11-25 AM O", "2025-11-25", stages=[stage], decisions=[warned]
        )
        request = improvement_period(view, POLICY)[1]
        assert isinstance(request, RequestDecision)
        assert request.context["period_start"] == "2025-11-10"
        assert request.context["period_end"] == "2025-11-25"
        assert request.context["sessions"] == "11"
        assert request.context["last_absence_date"] == "2025-11-25"

    def test_authorised_absence_is_not_a_breach(self) -> None:
        stage = nti_stage("2025-11-18", "2025-12-29")
        view = make_view(f"{MIXED_WEEK}, 2025-11-25 I", "2025-11-25", stages=[stage])
        assert improvement_period(view, POLICY) == []

    def test_breach_is_asked_about_once(self) -> None:
        stage = nti_stage("2025-11-18", "2025-12-29")
        view = make_view(
            f"{MIXED_WEEK}, 2025-11-25 O",
            "2025-11-26",
            stages=[stage],
            keys=[f"{stage.key}:breach"],
        )
        assert improvement_period(view, POLICY) == []

    def test_period_ending_without_breach_closes_the_stage(self) -> None:
        """No further unauthorised absence: the Notice to Improve stage closes."""
        stage = nti_stage("2025-11-18", "2025-12-19")
        view = make_view(MIXED_WEEK, "2026-01-05", stages=[stage])
        got = improvement_period(view, POLICY)
        assert len(got) == 1
        assert isinstance(got[0], CloseStage)
        assert got[0].entry_key == stage.key

    def test_nothing_happens_inside_a_clean_period(self) -> None:
        stage = nti_stage("2025-11-18", "2025-12-19")
        assert improvement_period(make_view(MIXED_WEEK, "2025-11-28", stages=[stage]), POLICY) == []


class TestProsecutionTimeLimit:
    def _waiting(self, status: str = "requested") -> DecisionState:
        return decision(
            Stage.PROSECUTION,
            status,
            "2025-12-17",
            last_absence_date="2025-11-14",
            lay_by_date="2026-05-14",
            warn_from_date="2026-04-16",
        )

    def test_warns_the_la_team_four_weeks_before_the_limit(self) -> None:
        """Rule 26: the decision warns 4 weeks before the 6-month limit."""
        view = make_view(HOLIDAY_WEEK, "2026-04-16", decisions=[self._waiting()])
        got = prosecution_time_limit(view, POLICY)
        assert len(got) == 1
        message = got[0]
        assert isinstance(message, QueueMessage)
        assert message.template == "legal/prosecution_limit"
        assert message.to.role is RecipientRole.LA
        assert message.to.channel is Channel.EMAIL
        assert message.to.address == POLICY.la.attendance_team_email
        assert message.context["lay_by_date_long"] == "14 May 2026"

    def test_no_warning_before_the_warning_date(self) -> None:
        view = make_view(HOLIDAY_WEEK, "2026-04-15", decisions=[self._waiting()])
        assert prosecution_time_limit(view, POLICY) == []

    def test_no_warning_once_decided(self) -> None:
        view = make_view(HOLIDAY_WEEK, "2026-04-16", decisions=[self._waiting("approved")])
        assert prosecution_time_limit(view, POLICY) == []

    def test_warned_once(self) -> None:
        waiting = self._waiting()
        view = make_view(
            HOLIDAY_WEEK, "2026-04-17", decisions=[waiting], keys=[f"{waiting.key}:limit_warning"]
        )
        assert prosecution_time_limit(view, POLICY) == []


class TestThroughTheEngine:
    def test_a_sweep_only_ever_asks_a_person(self) -> None:
        """The guards let a RequestDecision through and never a legal stage entry."""
        got = decide(make_view(HOLIDAY_WEEK, "2025-11-14"), POLICY)
        legal_entries = [d for d in got if isinstance(d, EnterStage) and d.stage in LEGAL_STAGES]
        requests = [d for d in got if isinstance(d, RequestDecision)]
        assert legal_entries == []
        assert [r.stage for r in requests] == [Stage.PENALTY_NOTICE]
