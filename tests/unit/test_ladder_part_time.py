"""Part-time timetables in the ladder (casework.core.ladder.part_time): DOMAIN rule 33, pure."""

from __future__ import annotations

from casework.core.ladder.proposals import (
    CloseStage,
    EnterStage,
    MakeReferral,
    OpenTask,
    QueueMessage,
    RecipientRole,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from tests.ladder_factories import D, make_register, of_type, run_sweeps

PM_C2 = ", ".join(f"{d} PM C2" for d in ("2025-09-15", "2025-09-16", "2025-09-17"))


def test_the_first_c2_opens_the_stage_tells_the_la_and_books_a_review() -> None:
    register = make_register("2025-09-08", "2025-09-19", overrides=PM_C2)
    swept = run_sweeps(register, "2025-09-15", "2025-09-17")
    decided = [d for s in swept for d in s.decisions]
    [entered] = [d for d in of_type(decided, EnterStage) if d.stage is Stage.PART_TIME_TIMETABLE]
    assert entered.context["started"] == "2025-09-15"
    assert [r.reason for r in of_type(decided, MakeReferral)] == ["part_time_timetable"]
    [review] = [t for t in of_type(decided, OpenTask) if t.kind is TaskKind.TIMETABLE_REVIEW]
    assert review.due_date == D("2025-09-29")
    assert any(
        m.to.role is RecipientRole.LA and m.stage is Stage.PART_TIME_TIMETABLE
        for m in of_type(decided, QueueMessage)
    )


def test_still_on_it_after_six_weeks_escalates_once_and_two_quiet_weeks_close_it() -> None:
    c2 = ", ".join(
        f"{d.isoformat()} PM C2"
        for d in (
            m.school_date for m in make_register("2025-09-15", "2025-10-24") if m.session == "AM"
        )
    )
    register = make_register("2025-09-08", "2025-11-28", overrides=c2)
    swept = run_sweeps(register, "2025-09-15", "2025-11-28")
    escalations = [
        (s.on.school_date, t.owner_role.value)
        for s in swept
        for t in of_type(s.decisions, OpenTask)
        if t.kind is TaskKind.TIMETABLE_ESCALATION
    ]
    # Six school weeks from 15 September, the October half term skipped.
    assert escalations == [(D("2025-11-03"), "headteacher"), (D("2025-11-03"), "la_officer")]
    closes = [
        s.on.school_date
        for s in swept
        for c in of_type(s.decisions, CloseStage)
        if c.stage is Stage.PART_TIME_TIMETABLE
    ]
    assert len(closes) == 1
    assert closes[0] > D("2025-10-24")
    reviews = [
        t.due_date
        for s in swept
        for t in of_type(s.decisions, OpenTask)
        if t.kind is TaskKind.TIMETABLE_REVIEW and s.on.school_date <= closes[0]
    ]
    assert reviews == sorted(set(reviews))
    assert len(reviews) >= 3
