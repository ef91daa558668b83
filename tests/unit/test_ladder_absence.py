"""Daily absence follow-up: first-day call, day-3 home visit, episode close and retraction.

DOMAIN.md Part 1 rules 7 and 8, each pinned to the policy value it uses.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from casework.core.calendar import RegisterSession, SchoolCalendar
from casework.core.ladder.engine import decide
from casework.core.ladder.proposals import (
    Channel,
    CloseStage,
    EnterStage,
    OpenTask,
    OwnerRole,
    QueueMessage,
    RecipientRole,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from casework.core.marks import MarkVersion
from tests.factories import LONDON, make_calendar
from tests.ladder_factories import (
    CALENDAR,
    DEFAULT_POLICY,
    UPN,
    as_versions,
    closed,
    entered,
    make_case,
    make_contact,
    make_policy,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
    run_sweeps,
    stage_key,
    task_kinds,
    when,
)

AM, PM = RegisterSession.AM, RegisterSession.PM
D = date.fromisoformat
INSET_MONDAY = make_calendar("2025-10-13 inset")  # Mon 13 Oct 2025 is an INSET day
FIRST_DAY_KEY = stage_key(Stage.FIRST_DAY_CALL, "2025-09-15", "AM")


def amendment(day: str, session: RegisterSession, code: str, at: str) -> MarkVersion:
    """A later version of a mark, recorded at a London wall-clock time."""
    recorded = datetime.fromisoformat(at).replace(tzinfo=LONDON)
    return MarkVersion(UPN, D(day), session, code, None, recorded)


class TestFirstDayCall:
    @pytest.mark.parametrize("code", ["N", "O"])
    def test_parents_messaged_and_call_opened_when_mark_is_unexplained(self, code: str) -> None:
        """An N or O after the register closed enters the stage, messages each parent with PR in
        their preferred channel and opens a call_parent task due that day."""
        decisions = decide(make_view(f"Mon AM {code}", "Mon 2025-09-15 AM"), DEFAULT_POLICY)

        assert entered(decisions) == [Stage.FIRST_DAY_CALL]
        task = of_type(decisions, OpenTask)[0]
        assert (task.kind, task.due_date, task.owner_role) == (
            TaskKind.CALL_PARENT,
            D("2025-09-15"),
            OwnerRole.ATTENDANCE_OFFICER,
        )
        sent = [(m.to.contact_id, m.to.channel) for m in messages(decisions)]
        assert sent == [(f"{UPN}-1", Channel.SMS), (f"{UPN}-2", Channel.EMAIL)]
        assert {m.template for m in messages(decisions)} == {"first_day_call/parent"}

    @pytest.mark.parametrize("code", ["/", "L", "I", "M", "C", "G", "U", "B", "D", "Y1", "#", "X"])
    def test_nothing_happens_when_mark_is_not_unexplained(self, code: str) -> None:
        """Present, explained, unauthorised-but-known and not-possible codes start no episode."""
        decisions = decide(make_view(f"Mon AM {code}", "Mon 2025-09-15 AM"), DEFAULT_POLICY)
        assert decisions == []

    def test_no_family_message_when_pupil_has_no_mark_for_the_session(self) -> None:
        """A missing mark is an incomplete register, never a family message (rule 7)."""
        view = make_view("Fri N", "Mon 2025-09-15 AM")  # Friday N, nothing yet for Monday
        assert view.current_mark is None
        assert [m for m in messages(decide(view, DEFAULT_POLICY)) if m.to.role == "parent"] == []

    def test_stage_entered_once_when_absence_runs_for_several_sessions(self) -> None:
        """One episode is one first-day call, however many sessions it lasts."""
        swept = run_sweeps(
            make_register("2025-09-15", "2025-09-17", "N"), "2025-09-15", "2025-09-17"
        )
        assert when(swept, lambda ds: Stage.FIRST_DAY_CALL in entered(ds)) == ["2025-09-15 AM"]

    def test_new_stage_entered_when_absence_resumes_after_a_present_day(self) -> None:
        """A present day ends the episode; the next unexplained absence is a new first-day call."""
        register = make_register("2025-09-15", "2025-09-17", overrides="2025-09-15 N, 2025-09-17 N")
        swept = run_sweeps(register, "2025-09-15", "2025-09-17")
        assert when(swept, lambda ds: Stage.FIRST_DAY_CALL in entered(ds)) == [
            "2025-09-15 AM",
            "2025-09-17 AM",
        ]

    def test_episode_starts_in_the_afternoon_when_morning_was_present(self) -> None:
        """A pupil who leaves at lunch starts an episode keyed by the PM session."""
        decisions = decide(make_view("Mon AM /, Mon PM N", "Mon 2025-09-15 PM"), DEFAULT_POLICY)
        first = of_type(decisions, EnterStage)[0]
        assert first.key == stage_key(Stage.FIRST_DAY_CALL, "2025-09-15", "PM")
        assert messages(decisions)[0].context["session"] == "afternoon"

    def test_nothing_happens_when_case_already_holds_the_episode(self) -> None:
        """Emit only on change: a view whose case holds the key produces nothing."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        view = make_view("Mon N", "Mon 2025-09-15 PM", case=case)
        assert decide(view, DEFAULT_POLICY) == []

    def test_next_channel_used_when_preferred_address_is_missing(self) -> None:
        """A parent preferring SMS with no mobile is emailed; one with no address at all is not
        messaged (a call task still opens)."""
        contacts = (
            make_contact("c1", mobile=None),
            make_contact("c2", mobile=None, email=None, address="", priority=2),
        )
        decisions = decide(
            make_view("Mon N", "Mon 2025-09-15 AM", contacts=contacts), DEFAULT_POLICY
        )
        assert [(m.to.contact_id, m.to.channel) for m in messages(decisions)] == [
            ("c1", Channel.EMAIL)
        ]
        assert task_kinds(decisions) == [TaskKind.CALL_PARENT]


class TestHomeVisit:
    @pytest.mark.parametrize(
        ("register", "sweep", "calendar", "expected"),
        [
            ("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM", None, True),
            ("Thu N, Fri N, Mon N", "Mon 2025-09-22 AM", None, True),  # a weekend inside
            ("Thu N, Fri N, Tue N", "Tue 2025-10-14 AM", INSET_MONDAY, True),  # INSET Monday
            ("Fri N, Tue N", "Tue 2025-10-14 AM", INSET_MONDAY, False),  # INSET is no day 2
            ("Thu N, Fri N, Mon N", "Mon 2025-11-03 AM", None, True),  # across half term
            ("Thu N, Fri N, Tue N", "Tue 2026-05-05 AM", None, True),  # May Day bank holiday
            ("Mon N, Tue N", "Tue 2025-09-16 PM", None, False),
            ("Mon N, Tue /, Wed N", "Wed 2025-09-17 AM", None, False),
            ("Mon N, Tue I, Wed N", "Wed 2025-09-17 AM", None, False),  # explained day ends it
            ("Mon N, Tue AM N, Tue PM /, Wed N", "Wed 2025-09-17 AM", None, False),
            ("Mon N, Tue -, Wed N", "Wed 2025-09-17 AM", None, False),  # missing does not extend
            ("Mon N, Tue -, Wed N, Thu N", "Thu 2025-09-18 AM", None, True),  # ...nor break
            ("Mon O, Tue N, Wed O", "Wed 2025-09-17 AM", None, True),
        ],
    )
    def test_home_visit_on_third_consecutive_school_day_when_absence_is_unexplained(
        self, register: str, sweep: str, calendar: SchoolCalendar | None, expected: bool
    ) -> None:
        """Day 3 counts school days only: weekends, INSET, half term and bank holidays are
        skipped; a present or explained day ends the run."""
        view = make_view(register, sweep, calendar=calendar or CALENDAR)
        assert (Stage.HOME_VISIT in entered(decide(view, DEFAULT_POLICY))) is expected

    @pytest.mark.parametrize(
        ("on_day", "sweep", "expected"),
        [
            (4, "Wed 2025-09-17 PM", False),
            (4, "Thu 2025-09-18 AM", True),
            (2, "Tue 2025-09-16 AM", True),
        ],
    )
    def test_home_visit_day_follows_policy_when_home_visit_on_day_changes(
        self, on_day: int, sweep: str, expected: bool
    ) -> None:
        """The day comes from `absence.home_visit_on_day`, not from code."""
        policy = make_policy(absence={"home_visit_on_day": on_day})
        view = make_view(make_register("2025-09-15", "2025-09-18", "N"), sweep)
        assert (Stage.HOME_VISIT in entered(decide(view, policy))) is expected

    def test_task_due_today_and_calling_card_posted_when_day_three_reached(self) -> None:
        """A home_visit task due that day, and one calling-card letter to the household."""
        decisions = decide(make_view("Mon N, Tue N, Wed N", "Wed 2025-09-17 AM"), DEFAULT_POLICY)
        visit = [t for t in of_type(decisions, OpenTask) if t.kind is TaskKind.HOME_VISIT]
        assert [(t.due_date, t.context["episode_days"]) for t in visit] == [(D("2025-09-17"), "3")]
        letters = [m for m in messages(decisions) if m.stage is Stage.HOME_VISIT]
        assert [(m.to.channel, m.template, m.to.contact_id) for m in letters] == [
            (Channel.LETTER, "home_visit/calling_card", f"{UPN}-1")
        ]

    def test_home_visit_entered_once_when_episode_runs_past_day_three(self) -> None:
        """Emit only on change: days 4 and 5 of the same episode add nothing."""
        swept = run_sweeps(
            make_register("2025-09-15", "2025-09-19", "N"), "2025-09-15", "2025-09-19"
        )
        assert when(swept, lambda ds: Stage.HOME_VISIT in entered(ds)) == ["2025-09-17 AM"]
        assert when(swept, lambda ds: TaskKind.HOME_VISIT in task_kinds(ds)) == ["2025-09-17 AM"]

    def test_no_home_visit_when_day_two_is_explained_before_day_three_closes(self) -> None:
        """An N amended to illness (a later recorded_at) before the day-3 register closes ends
        the episode: no home visit, and the old episode's stage closes."""
        register = as_versions(make_register("2025-09-15", "2025-09-17", "N"))
        register += [
            amendment("2025-09-16", AM, "I", "2025-09-17 08:30"),
            amendment("2025-09-16", PM, "I", "2025-09-17 08:30"),
        ]
        swept = run_sweeps(register, "2025-09-15", "2025-09-17")
        assert when(swept, lambda ds: Stage.HOME_VISIT in entered(ds)) == []
        assert when(swept, lambda ds: Stage.FIRST_DAY_CALL in closed(ds)) == ["2025-09-17 AM"]

    def test_home_visit_still_opens_when_amendment_is_recorded_after_the_sweep(self) -> None:
        """A sweep sees only versions recorded by its register's close."""
        register = as_versions(make_register("2025-09-15", "2025-09-17", "N"))
        register += [amendment("2025-09-16", AM, "I", "2025-09-17 10:00")]
        swept = run_sweeps(register, "2025-09-15", "2025-09-17")
        assert when(swept, lambda ds: Stage.HOME_VISIT in entered(ds)) == ["2025-09-17 AM"]


class TestEpisodeClose:
    def test_stages_close_without_retraction_when_pupil_attends_the_next_day(self) -> None:
        """A present day ends the episode: first-day call and home visit close, nothing is
        withdrawn."""
        register = make_register(
            "2025-09-15", "2025-09-18", overrides="2025-09-15 N, 2025-09-16 N, 2025-09-17 N"
        )
        swept = run_sweeps(register, "2025-09-15", "2025-09-18")
        closing = of_type(swept[-2].decisions, CloseStage)  # Thu AM
        assert [(c.stage, c.retract_messages) for c in closing] == [
            (Stage.FIRST_DAY_CALL, False),
            (Stage.HOME_VISIT, False),
        ]

    def test_stage_stays_open_when_next_mark_is_missing(self) -> None:
        """A missing mark is no evidence that the absence ended."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        view = make_view("Mon N, Tue -", "Tue 2025-09-16 AM", case=case)
        assert closed(decide(view, DEFAULT_POLICY)) == []

    def test_old_episode_closes_when_a_new_one_is_already_running(self) -> None:
        """An episode ended by an explained day closes even if the pupil is absent again now."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        view = make_view("Mon N, Tue I, Wed N", "Wed 2025-09-17 AM", case=case)
        decisions = decide(view, DEFAULT_POLICY)
        assert [(c.entry_key, c.retract_messages) for c in of_type(decisions, CloseStage)] == [
            (FIRST_DAY_KEY, False)
        ]
        assert entered(decisions) == [Stage.FIRST_DAY_CALL]  # the new episode's own call


class TestRetraction:
    def test_messages_withdrawn_when_start_mark_amended_to_present_the_same_day(self) -> None:
        """N at the AM close, amended to present before PM: the stage closes and its unsent
        messages are withdrawn (the shell records message.retracted)."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        view = make_view("Mon AM /, Mon PM \\", "Mon 2025-09-15 PM", case=case)
        decisions = decide(view, DEFAULT_POLICY)
        assert [
            (c.entry_key, c.retract_messages, c.reason) for c in of_type(decisions, CloseStage)
        ] == [(FIRST_DAY_KEY, True, "mark amended to present")]
        assert messages(decisions) == []  # nothing had left the outbox: nothing to correct

    def test_correction_queued_when_the_first_message_had_already_been_sent(self) -> None:
        """A message that already left gets a correction in the same channel; unsent ones are
        simply withdrawn."""
        sent = f"{FIRST_DAY_KEY}:msg:{UPN}-1"
        case = make_case(
            make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY), keys=[sent], sent=[sent]
        )
        view = make_view("Mon AM L, Mon PM \\", "Mon 2025-09-15 PM", case=case)
        corrections = messages(decide(view, DEFAULT_POLICY))
        assert [(m.key, m.template, m.to.channel) for m in corrections] == [
            (f"{sent}:retraction", "first_day_call/retraction", Channel.SMS)
        ]

    def test_retraction_also_when_pupil_then_leaves_at_lunch(self) -> None:
        """Morning amended to present but afternoon N: the morning's messages are withdrawn and
        the afternoon is its own episode."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        view = make_view("Mon AM /, Mon PM N", "Mon 2025-09-15 PM", case=case)
        decisions = decide(view, DEFAULT_POLICY)
        assert [(c.entry_key, c.retract_messages) for c in of_type(decisions, CloseStage)] == [
            (FIRST_DAY_KEY, True)
        ]
        assert [e.key for e in of_type(decisions, EnterStage)] == [
            stage_key(Stage.FIRST_DAY_CALL, "2025-09-15", "PM")
        ]

    @pytest.mark.parametrize(
        ("register", "sweep"),
        [
            ("Mon AM I, Mon PM I", "Mon 2025-09-15 PM"),  # explained the same day, not present
            ("Mon N, Tue /", "Tue 2025-09-16 AM"),  # present the next day
        ],
    )
    def test_nothing_withdrawn_when_the_absence_really_happened(
        self, register: str, sweep: str
    ) -> None:
        """Only an amendment to present or late on the day withdraws what was sent."""
        case = make_case(make_stage(Stage.FIRST_DAY_CALL, key=FIRST_DAY_KEY))
        decisions = decide(make_view(register, sweep, case=case), DEFAULT_POLICY)
        assert [c.retract_messages for c in of_type(decisions, CloseStage)] == [False]


class TestRecipientsOfAbsence:
    def test_parent_without_parental_responsibility_is_never_messaged(self) -> None:
        """Only contacts with PR are messaged, whatever their priority."""
        contacts = (
            make_contact("step", parental_responsibility=False, priority=1),
            make_contact("mum", priority=2),
        )
        decisions = decide(
            make_view("Mon N", "Mon 2025-09-15 AM", contacts=contacts), DEFAULT_POLICY
        )
        assert [m.to.contact_id for m in messages(decisions)] == ["mum"]
        assert all(m.to.role is RecipientRole.PARENT for m in messages(decisions))

    def test_messages_are_queued_in_priority_order_when_parents_have_priorities(self) -> None:
        """Parents with PR are contacted in priority order."""
        contacts = (make_contact("b", priority=2), make_contact("a", priority=1))
        decisions = decide(
            make_view("Mon N", "Mon 2025-09-15 AM", contacts=contacts), DEFAULT_POLICY
        )
        assert [m.to.contact_id for m in messages(decisions)] == ["a", "b"]

    def test_message_keys_are_per_episode_and_parent(self) -> None:
        """Keys make a re-sweep harmless: upn, stage, episode start, session, contact."""
        decisions = decide(make_view("Mon N", "Mon 2025-09-15 AM"), DEFAULT_POLICY)
        assert [m.key for m in messages(decisions)] == [
            f"{FIRST_DAY_KEY}:msg:{UPN}-1",
            f"{FIRST_DAY_KEY}:msg:{UPN}-2",
        ]
        assert all(isinstance(m, QueueMessage) for m in messages(decisions))
