"""Leave of absence in the ladder (casework.core.ladder.leave): DOMAIN rule 32, pure."""

from __future__ import annotations

from casework.core.ladder.leave import (
    during_granted_leave,
    leave_key,
    refused_leave_evidence,
)
from casework.core.ladder.proposals import (
    CloseStage,
    DataAlert,
    OpenTask,
    RequestDecision,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import CaseState, DecisionState
from tests.ladder_factories import (
    UPN,
    D,
    alerts,
    entered,
    make_case,
    make_register,
    make_stage,
    make_view,
    messages,
    of_type,
    run_sweeps,
    task_kinds,
)

START, END = D("2025-09-29"), D("2025-10-01")
KEY = leave_key(UPN, START, END)


def leave_decision(status: str, decided: str | None = "2025-09-16") -> DecisionState:
    return DecisionState(
        Stage.LEAVE_OF_ABSENCE,
        f"{KEY}:decision",
        status,
        D("2025-09-15"),
        D(decided) if decided else None,
        {"leave_from": START.isoformat(), "leave_to": END.isoformat()},
    )


def leave_case(status: str) -> CaseState:
    stage = make_stage(Stage.LEAVE_OF_ABSENCE, "2025-09-15", key=f"{KEY}:stage")
    return make_case(stage, decisions=[leave_decision(status)])


def test_granted_leave_coded_c_calls_nobody_and_raises_nothing() -> None:
    register = make_register(
        "2025-09-22", "2025-10-03", overrides="2025-09-29 C, 2025-09-30 C, 2025-10-01 C"
    )
    swept = run_sweeps(register, "2025-09-29", "2025-10-01", case=leave_case("approved"))
    decided = [d for s in swept for d in s.decisions]
    assert decided == []


def test_a_mark_other_than_c_inside_granted_leave_is_a_data_alert_and_nobody_is_called() -> None:
    register = make_register("2025-09-22", "2025-10-03", overrides="2025-09-29 C, 2025-09-30 N")
    swept = run_sweeps(register, "2025-09-29", "2025-09-30", case=leave_case("approved"))
    decided = [d for s in swept for d in s.decisions]
    assert alerts(decided).count("leave_mark_mismatch") == 2  # AM and PM of 30 September
    assert Stage.FIRST_DAY_CALL not in entered(decided)
    assert messages(decided) == []
    assert TaskKind.CALL_PARENT.value not in task_kinds(decided)


def test_the_same_n_without_granted_leave_calls_the_family() -> None:
    register = make_register("2025-09-22", "2025-10-03", overrides="2025-09-30 N")
    swept = run_sweeps(register, "2025-09-30", "2025-09-30", case=leave_case("declined"))
    decided = [d for s in swept for d in s.decisions]
    assert Stage.FIRST_DAY_CALL in entered(decided)
    assert "leave_mark_mismatch" not in alerts(decided)


def test_back_after_the_leave_closes_its_stage() -> None:
    register = make_register(
        "2025-09-22", "2025-10-03", overrides="2025-09-29 C, 2025-09-30 C, 2025-10-01 C"
    )
    swept = run_sweeps(register, "2025-10-02", "2025-10-02", case=leave_case("approved"))
    closes = of_type([d for s in swept for d in s.decisions], CloseStage)
    assert [c.entry_key for c in closes] == [f"{KEY}:stage"]


def test_not_back_within_ten_school_days_opens_one_cme_enquiry_on_the_tenth() -> None:
    overrides = "2025-09-29 C, 2025-09-30 C, 2025-10-01 C"
    register = make_register("2025-09-22", "2025-10-24", "G", overrides=overrides)
    # Present before the leave so the register is not all G.
    register = [
        m if m.school_date >= START else m.__class__(m.school_date, m.session, "/")
        for m in register
    ]
    swept = run_sweeps(register, "2025-10-02", "2025-10-20", case=leave_case("approved"))
    tasks = [
        (s.on.school_date, d)
        for s in swept
        for d in of_type(s.decisions, OpenTask)
        if d.kind is TaskKind.CME_ENQUIRY and d.stage is Stage.LEAVE_OF_ABSENCE
    ]
    assert [day for day, _ in tasks] == [D("2025-10-15")]  # the 10th school day after 1 October
    assert tasks[0][1].context["ground"] == "9(1)(h)"


def test_refused_leave_not_taken_asks_for_no_enquiry() -> None:
    register = make_register("2025-09-22", "2025-10-24", overrides="2025-10-02 I, 2025-10-03 I")
    swept = run_sweeps(register, "2025-10-02", "2025-10-17", case=leave_case("declined"))
    assert TaskKind.CME_ENQUIRY.value not in task_kinds([d for s in swept for d in s.decisions])


def test_during_granted_leave_only_for_approved_decisions_inside_the_dates() -> None:

    inside = make_view("", "Tue 2025-09-30 AM", case=leave_case("approved"))
    outside = make_view("", "Thu 2025-10-02 AM", case=leave_case("approved"))
    requested = make_view("", "Tue 2025-09-30 AM", case=leave_case("requested"))
    assert during_granted_leave(inside)
    assert not during_granted_leave(outside)
    assert not during_granted_leave(requested)


def test_refused_leave_taken_reaches_a_penalty_notice_decision_showing_the_refusal() -> None:
    overrides = ", ".join(
        f"{d} G" for d in ("2025-09-29", "2025-09-30", "2025-10-01", "2025-10-02", "2025-10-03")
    )
    register = make_register("2025-09-03", "2025-10-03", overrides=overrides)
    wide = DecisionState(
        Stage.LEAVE_OF_ABSENCE,
        f"{leave_key(UPN, START, D('2025-10-03'))}:decision",
        "declined",
        D("2025-09-15"),
        D("2025-09-16"),
        {"leave_from": START.isoformat(), "leave_to": "2025-10-03"},
    )
    swept = run_sweeps(register, "2025-09-29", "2025-10-03", case=make_case(decisions=[wide]))
    asked = [d for s in swept for d in of_type(s.decisions, RequestDecision)]
    assert [d.stage for d in asked] == [Stage.PENALTY_NOTICE]  # no notice to improve first
    assert asked[0].context["refused_leave_from"] == "2025-09-29"
    assert "refused on 16 September 2025" in asked[0].reason


def test_refused_leave_evidence_needs_sessions_inside_the_refused_dates() -> None:

    view = make_view("", "Fri 2025-10-10 PM", case=leave_case("declined"))
    later = make_register("2025-10-06", "2025-10-10", "G")
    assert refused_leave_evidence(view, later) == ("", {})
    inside = make_register("2025-09-29", "2025-10-01", "G")
    words, context = refused_leave_evidence(view, inside)
    assert "refused on 16 September 2025" in words
    assert context["refused_leave_to"] == END.isoformat()


def test_a_leave_decision_does_not_restart_the_threshold_count() -> None:
    """Rule 19: only a threshold decision weighs sessions; asking about leave weighs none."""
    register = make_register(
        "2025-09-03",
        "2025-09-26",
        overrides=", ".join(
            f"{d} G" for d in ("2025-09-15", "2025-09-16", "2025-09-17", "2025-09-18", "2025-09-19")
        ),
    )
    late_leave = DecisionState(
        Stage.LEAVE_OF_ABSENCE,
        "X:decision",
        "requested",
        D("2025-09-17"),
        None,
        {"leave_from": "2025-12-01", "leave_to": "2025-12-02"},
    )
    swept = run_sweeps(register, "2025-09-19", "2025-09-19", case=make_case(decisions=[late_leave]))
    asked = [d for s in swept for d in of_type(s.decisions, RequestDecision)]
    assert [d.stage for d in asked] == [Stage.PENALTY_NOTICE]
    assert DataAlert not in {type(d) for s in swept for d in s.decisions}
