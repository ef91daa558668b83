"""Daily follow-up of unexplained absence: first-day call, day-3 home visit (DOMAIN rules 7–9)."""

from __future__ import annotations

from casework.core.codes import CODES
from casework.core.ladder.proposals import (
    CloseStage,
    EnterStage,
    OpenTask,
    OwnerRole,
    Proposal,
    QueueMessage,
    TaskKind,
    decision_key,
)
from casework.core.ladder.recipients import FAMILY_ALL, letter_to_household, message_parents
from casework.core.ladder.registry import rule
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView, StageState
from casework.core.measures import Episode
from casework.core.policy import Policy

_ATTENDED = frozenset(code for code, info in CODES.items() if info.is_attendance)
_SESSION_WORDS = {"AM": "morning", "PM": "afternoon"}


def episode_key(view: PupilView, stage: Stage, episode: Episode) -> str:
    """One key per episode: the stage is entered once however many days the absence lasts."""
    return decision_key(view.upn, stage.value, episode.start_date, episode.start_session.value)


def _ended(view: PupilView, entry: StageState, episode: Episode | None) -> bool:
    """The open episode stage belongs to an episode that a visible mark has now ended."""
    if episode is not None:
        # Another episode running now means a present or explained day (perhaps an amendment
        # recorded since the last sweep) ended this one in between.
        return episode_key(view, entry.stage, episode) != entry.key
    mark = view.current_mark
    # A missing mark is an incomplete register, not evidence that the absence ended.
    return mark is not None and mark.code not in {"N", "O"}


def _start_mark_attended(view: PupilView, entry: StageState) -> bool:
    """The session that opened the episode is now marked present or late (amended)."""
    start_date, start_session = entry.key.split(":")[-2:]
    return any(
        m.school_date.isoformat() == start_date
        and m.session == start_session
        and m.code in _ATTENDED
        for m in view.marks
    )


@rule(Stage.FIRST_DAY_CALL)
def first_day_call(view: PupilView, policy: Policy) -> list[Proposal]:
    """Unexplained absence this session, new episode: message parents, open a call task."""
    episode = view.episode
    if episode is None:
        return []
    key = episode_key(view, Stage.FIRST_DAY_CALL, episode)
    if view.case.has(key):
        return []
    session_word = _SESSION_WORDS[episode.start_session.value]
    return [
        EnterStage(Stage.FIRST_DAY_CALL, key, reason="unexplained absence, no reason reported"),
        OpenTask(
            TaskKind.CALL_PARENT,
            f"{key}:task",
            due_date=view.on.school_date,
            owner_role=OwnerRole.ATTENDANCE_OFFICER,
            stage=Stage.FIRST_DAY_CALL,
        ),
        *message_parents(
            view,
            "first_day_call/parent",
            key,
            Stage.FIRST_DAY_CALL,
            FAMILY_ALL,
            {"session": session_word},
        ),
    ]


@rule(Stage.FIRST_DAY_CALL)
def close_ended_episodes(view: PupilView, policy: Policy) -> list[Proposal]:
    """A present or explained mark ends the episode: its first-day and home-visit stages close.

    When the mark that opened the episode is amended to present or late on the same day, the
    family gets a correction and unsent messages are withdrawn (retraction).
    """
    decisions: list[Proposal] = []
    open_entries = [
        entry
        for entry in view.case.stages
        if entry.stage in (Stage.FIRST_DAY_CALL, Stage.HOME_VISIT) and entry.status == "open"
    ]
    for entry in open_entries:
        stage = entry.stage
        if not _ended(view, entry, view.episode):
            continue
        retract = (
            stage is Stage.FIRST_DAY_CALL
            and entry.entered_date == view.on.school_date
            and _start_mark_attended(view, entry)
        )
        reason = "mark amended to present" if retract else "pupil attended or absence explained"
        decisions.append(CloseStage(stage, entry.key, reason, retract_messages=retract))
        if retract:
            decisions.extend(_corrections(view, entry))
    return decisions


def _corrections(view: PupilView, entry: StageState) -> list[QueueMessage]:
    sent = [
        m
        for m in message_parents(
            view, "first_day_call/retraction", entry.key, Stage.FIRST_DAY_CALL, FAMILY_ALL
        )
        if m.key in view.case.sent_message_keys
    ]
    return [QueueMessage(f"{m.key}:retraction", m.to, m.template, m.stage, m.context) for m in sent]


@rule(Stage.HOME_VISIT)
def home_visit(view: PupilView, policy: Policy) -> list[Proposal]:
    """The episode reaches its n-th school day: home visit today, calling-card letter."""
    episode = view.episode
    if episode is None or episode.school_days < policy.absence.home_visit_on_day:
        return []
    key = episode_key(view, Stage.HOME_VISIT, episode)
    if view.case.has(key):
        return []
    days = str(episode.school_days)
    return [
        EnterStage(Stage.HOME_VISIT, key, reason=f"{days} consecutive school days unexplained"),
        OpenTask(
            TaskKind.HOME_VISIT,
            f"{key}:task",
            due_date=view.on.school_date,
            owner_role=OwnerRole.ATTENDANCE_OFFICER,
            stage=Stage.HOME_VISIT,
            context={"episode_days": days},
        ),
        *letter_to_household(
            view, "home_visit/calling_card", key, Stage.HOME_VISIT, {"episode_days": days}
        ),
    ]
