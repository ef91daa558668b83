"""The case page's presentation of `casework.service.cases.read_case`: the chart and the
messages' plain-English statuses, which belong to the page, not to the read.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.db.tables import Message
from casework.service.cases import CaseRecord, needs_and_circumstances
from casework.web.chart import AttendanceChart, attendance_chart
from notifications.messages import formatted_status

__all__ = ["CasePage", "MessageRow", "case_page", "needs_and_circumstances"]


@dataclass(frozen=True, slots=True)
class MessageRow:
    message: Message
    status_label: str


@dataclass(frozen=True, slots=True)
class CasePage:
    record: CaseRecord
    chart: AttendanceChart | None
    messages: list[MessageRow]


def case_page(record: CaseRecord) -> CasePage:
    """The record with what only the page draws."""
    rows = [MessageRow(m, formatted_status(m.channel, m.status)) for m in record.messages]
    return CasePage(record, attendance_chart(record.marks), rows)
