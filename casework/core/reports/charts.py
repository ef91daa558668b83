"""Report charts as hand-built SVG strings: horizontal bars and grouped columns.

Pure: figures in, markup out; WeasyPrint draws inline SVG in the PDF and browsers in the HTML, so
no plotting library (and no raster image) is needed. Every text is escaped. A suppressed or
empty figure gets no bar but a note, so a hidden cohort cannot be read off a chart either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 680
LABEL_W = 210
ROW_H = 20
FONT = "font-family:Helvetica,Arial,sans-serif"
BLUE, GREY, GREEN, RED, INK = "#1d70b8", "#b1b4b6", "#00703c", "#d4351c", "#0b0c0c"


@dataclass(frozen=True, slots=True)
class Axis:
    low: float
    high: float
    step: float
    unit: str  # "%" or ""

    def fraction(self, value: float) -> float:
        return max(0.0, min(1.0, (value - self.low) / (self.high - self.low)))

    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.step)
        return [self.low + i * self.step for i in range(count + 1)]


def percent_axis(values: Sequence[float | None]) -> Axis:
    """0–100 %, or a narrower band down from 100 when every value is high (attendance)."""
    shown = [v for v in values if v is not None]
    low = 0.0
    if shown and min(shown) >= 60:
        low = max(0.0, math.floor((min(shown) - 5) / 10) * 10)
    return Axis(low, 100.0, 10.0 if 100 - low > 30 else 5.0, "%")


def rate_axis(values: Sequence[float | None]) -> Axis:
    """0 up to a round number above the largest value, for absence rates."""
    top = max([v for v in values if v is not None] or [0.0])
    high = min(100.0, max(10.0, math.ceil(top / 10) * 10))
    return Axis(0.0, high, high / 5, "%")


def count_axis(values: Sequence[float | None]) -> Axis:
    """0 up to five round steps (1, 2 or 5 times a power of ten) covering the largest count."""
    top = max([v for v in values if v is not None] or [0.0])
    k = 0
    while (step := (1, 2, 5)[k % 3] * 10 ** (k // 3)) * 5 < top:
        k += 1
    return Axis(0.0, float(step * 5), float(step), "")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None  # None: suppressed or no data, drawn as a note
    text: str  # the figure as printed beside the bar
    marker: float | None = None  # a comparison (the LA), drawn as a tick across the bar


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]
    texts: Sequence[str] | None = None  # figures as printed; default: values to one decimal


def _text(
    x: float,
    y: float,
    s: str,
    *,
    size: int = 11,
    anchor: str = "start",
    fill: str = INK,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}" style="{FONT}">{escape(s)}</text>'
    )


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{_text(0, 14, title, size=13, weight='bold')}"
        + "".join(body)
        + "</svg>"
    )


def _x_axis(axis: Axis, left: float, plot_w: float, top: float, bottom: float) -> list[str]:
    out = []
    for tick in axis.ticks():
        x = left + plot_w * axis.fraction(tick)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#dddddd"/>')
        out.append(_text(x, bottom + 13, f"{tick:g}{axis.unit}", size=9, anchor="middle"))
    return out


def horizontal_bars(
    bars: Sequence[Bar], axis: Axis, *, title: str, marker_name: str | None = None
) -> str:
    """One bar per row, its figure printed at the end, an optional comparison tick."""
    plot_w, top = WIDTH - LABEL_W - 70, 26
    bottom = top + ROW_H * len(bars)
    body = _x_axis(axis, LABEL_W, plot_w, top, bottom)
    for i, bar in enumerate(bars):
        y = top + i * ROW_H
        label = bar.label if len(bar.label) <= 38 else bar.label[:37] + "…"
        body.append(_text(LABEL_W - 6, y + 14, label, size=9, anchor="end"))
        if bar.value is None:
            body.append(_text(LABEL_W + 4, y + 14, bar.text, size=10, fill="#505a5f"))
            continue
        w = plot_w * axis.fraction(bar.value)
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}" fill="{BLUE}"/>'
        )
        end = w
        if bar.marker is not None:
            mx = plot_w * axis.fraction(bar.marker)
            body.append(
                f'<line x1="{LABEL_W + mx:.1f}" y1="{y + 1}" x2="{LABEL_W + mx:.1f}" '
                f'y2="{y + ROW_H - 1}" stroke="{RED}" stroke-width="3"/>'
            )
            end = max(end, mx + 2)  # the figure goes clear of the comparison tick
        body.append(_text(LABEL_W + end + 4, y + 14, bar.text, size=10))
    if marker_name:
        body.append(
            f'<line x1="{LABEL_W}" y1="{bottom + 24}" x2="{LABEL_W}" y2="{bottom + 34}" '
            f'stroke="{RED}" stroke-width="3"/>'
        )
        body.append(_text(LABEL_W + 6, bottom + 33, marker_name, size=10))
    return _svg(WIDTH, bottom + (40 if marker_name else 22), title, body)


def _wrap(label: str, width: int = 16) -> list[str]:
    lines: list[str] = [""]
    for word in label.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines[:3]


def _legend(series: Sequence[Series], y: float) -> list[str]:
    out, x = [], float(WIDTH)
    for s in reversed(series):
        x -= 12 + 6 * len(s.name) + 16
        out.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{s.colour}"/>')
        out.append(_text(x + 14, y, s.name, size=10))
    return out


def column_chart(
    categories: Sequence[str], series: Sequence[Series], axis: Axis, *, title: str
) -> str:
    """Grouped columns: one group per category, one column per series, figures on top."""
    left, top, plot_h = 44, 34, 170
    plot_w = WIDTH - left - 10
    base = top + plot_h
    body = _legend(series, 14)
    for tick in axis.ticks():
        y = base - plot_h * axis.fraction(tick)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="#dddddd"/>'
        )
        body.append(_text(left - 4, y + 3, f"{tick:g}{axis.unit}", size=9, anchor="end"))
    group_w = plot_w / max(1, len(categories))
    col_w = min(40.0, group_w * 0.8 / max(1, len(series)))
    for i, category in enumerate(categories):
        gx = left + i * group_w + (group_w - col_w * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i]
            x = gx + j * col_w
            if value is None:
                body.append(_text(x + col_w / 2, base - 4, "–", size=9, anchor="middle"))
                continue
            h = plot_h * axis.fraction(value)
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{col_w - 2:.1f}" '
                f'height="{h:.1f}" fill="{s.colour}"/>'
            )
            label = s.texts[i] if s.texts is not None else f"{value:.1f}"
            body.append(_text(x + col_w / 2, base - h - 3, label, size=8, anchor="middle"))
        for k, line in enumerate(_wrap(category)):
            body.append(
                _text(left + (i + 0.5) * group_w, base + 13 + 11 * k, line, size=9, anchor="middle")
            )
    return _svg(WIDTH, base + 48, title, body)
