"""The governors' and LA reports count leave, part-time timetables, deletions and half-term
updates (DOMAIN rules 32-35) in the period, each as it stood on the report date."""

from __future__ import annotations

from datetime import date

from casework.core.reports.actions import DecisionRow, StageRow, count_actions
from casework.core.reports.tables import Table, action_tables

START, END = date(2025, 9, 1), date(2025, 12, 19)


def test_the_duties_table_counts_the_new_stages_in_the_period() -> None:
    stages = [
        StageRow("A", "part_time_timetable", date(2025, 9, 15), None),
        StageRow("B", "part_time_timetable", date(2025, 8, 20), None),  # before the period
        StageRow("A", "attendance_update", date(2025, 10, 24), date(2025, 10, 24)),
        StageRow("C", "attendance_update", date(2025, 10, 24), date(2025, 10, 24)),
        StageRow("C", "attendance_update", date(2025, 12, 19), date(2025, 12, 19)),
    ]
    decided = date(2025, 9, 16)
    decisions = [
        DecisionRow("leave_of_absence", "approved", date(2025, 9, 15), decided),
        DecisionRow("leave_of_absence", "declined", date(2025, 9, 15), decided),
        DecisionRow("leave_of_absence", "declined", date(2025, 12, 1), date(2026, 1, 5)),
        DecisionRow("deletion_ground_i", "approved", date(2025, 10, 13), date(2025, 10, 14)),
    ]
    actions = count_actions(stages, decisions, [], [], start=START, end=END, on=END)
    [table] = [
        p
        for p in action_tables(actions, overdue=False, min_cohort=1)
        if isinstance(p, Table) and p.caption.startswith("Leave, part-time")
    ]
    counts = {row.cells[0]: row.cells[1] for row in table.rows}
    assert counts == {
        "Leave of absence asked for": "3",
        "Leave granted": "1",
        "Leave refused": "1",  # the third was still waiting on the report date
        "Pupils put on a part-time timetable": "1",
        "Deletions from the roll under Ground I": "1",
        "Pupils whose families got a half-term update": "2",
    }
