"""The case page's attendance chart: weekly bars and the year-to-date line, as SVG geometry.

Pure: marks in, coordinates out; the template draws them. Weeks are Monday–Sunday; a week with
no possible sessions (a holiday) has no bar. Percentages here are for drawing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from casework.core.calendar import monday_of
from casework.core.marks import SessionMark
from casework.core.measures import measure

WIDTH = 720
HEIGHT = 240
LEFT = 44
RIGHT = 64  # room for the 90 % line's label
TOP = 12
BOTTOM = 34
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
PA_LINE_PERCENT = 90  # persistent absence: attendance at or below 90 % (DOMAIN.md rule 3)


@dataclass(frozen=True, slots=True)
class WeekBar:
    week_start: date
    possible: int
    attended: int
    percent: float
    x: float
    y: float
    width: float
    height: float
    is_low: bool  # below the persistent-absence line, drawn in a warning colour


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class AttendanceChart:
    width: int
    height: int
    bars: list[WeekBar]
    line_points: str  # SVG polyline points of year-to-date attendance after each week
    pa_line_y: float
    y_ticks: list[tuple[float, int]]
    x_ticks: list[Tick]
    summary: str


def _y(percent: float) -> float:
    return TOP + PLOT_H * (1 - percent / 100)


def _weeks(marks: Sequence[SessionMark]) -> dict[date, list[SessionMark]]:
    weeks: dict[date, list[SessionMark]] = {}
    for mark in marks:
        weeks.setdefault(monday_of(mark.school_date), []).append(mark)
    return weeks


def _bars(weeks: dict[date, list[SessionMark]], first: date, slots: int) -> list[WeekBar]:
    slot_w = PLOT_W / slots
    bars = []
    for week_start in sorted(weeks):
        counts = measure(weeks[week_start])
        if counts.possible == 0:
            continue
        percent = 100.0 * counts.attended / counts.possible
        index = (week_start - first).days // 7
        y = _y(percent)
        bars.append(
            WeekBar(
                week_start=week_start,
                possible=counts.possible,
                attended=counts.attended,
                percent=percent,
                x=round(LEFT + index * slot_w + slot_w * 0.15, 2),
                y=round(y, 2),
                width=round(max(slot_w * 0.7, 1.0), 2),
                height=round(TOP + PLOT_H - y, 2),
                is_low=counts.attended * 100 <= PA_LINE_PERCENT * counts.possible,
            )
        )
    return bars


def _line(bars: list[WeekBar]) -> str:
    attended = possible = 0
    points = []
    for bar in bars:
        attended += bar.attended
        possible += bar.possible
        points.append(f"{bar.x + bar.width / 2:.1f},{_y(100.0 * attended / possible):.1f}")
    return " ".join(points)


def _x_ticks(first: date, last: date, slots: int) -> list[Tick]:
    slot_w = PLOT_W / slots
    ticks, seen = [], set()
    for index in range(slots):
        week = date.fromordinal(first.toordinal() + 7 * index)
        month = (week.year, week.month)
        if month not in seen and week <= last:
            seen.add(month)
            ticks.append(Tick(round(LEFT + index * slot_w, 2), f"{week:%b}"))
    return ticks


def attendance_chart(marks: Sequence[SessionMark]) -> AttendanceChart | None:
    """The chart for these marks, or None when there is nothing to draw."""
    weeks = _weeks(marks)
    if not weeks:
        return None
    first, last = min(weeks), max(weeks)
    slots = (last - first).days // 7 + 1
    bars = _bars(weeks, first, slots)
    if not bars:
        return None
    total = measure(marks)
    summary = (
        f"Weekly attendance from the week of {first.day} {first:%B %Y} to the week of "
        f"{last.day} {last:%B %Y}: {len(bars)} school weeks, "
        f"{total.attendance_percent:.1f}% attendance over the year so far."
    )
    return AttendanceChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        line_points=_line(bars),
        pa_line_y=round(_y(PA_LINE_PERCENT), 2),
        y_ticks=[(round(_y(p), 2), p) for p in (0, 25, 50, 75, 100)],
        x_ticks=_x_ticks(first, last, slots),
        summary=summary,
    )
