"""The audit trail laid out as PDF pages with fpdf2: two or three monospaced lines an entry.

A court's slice of the trail is thousands of entries, and WeasyPrint (letters, reports) costs
one to two milliseconds for every line of text it lays out here, so the trail is drawn line by
line at fixed positions instead (docs/decisions/0013). A monospaced font makes the columns line
up without measuring anything, and lets long values wrap by character count. Times are shown in
Europe/London, the way the school day was lived, and dates day first; kinds, stages and details
are in the words of `casework.core.labels`, as the web pages show them. The JSONL export keeps
the codes, the exact UTC values, the full hashes and any character the font cannot draw.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from fpdf import FPDF

from casework.core.labels import audit_label, detail_label, detail_text, stage_label
from casework.settings import LONDON

HASH_SHOWN = 16
PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 10.0  # A4 landscape, mm
BODY_PT, SMALL_PT = 6.5, 7.5
LINE_MM = BODY_PT * 1.25 * 25.4 / 72
ENTRY_GAP_MM = 1.0
BOTTOM_MM = PAGE_H - 12.0  # where the footer begins
FONT_FILES = {"": "DejaVuSansMono.ttf", "B": "DejaVuSansMono-Bold.ttf"}
FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)
GREEN, RED, GREY = (29, 107, 47), (176, 0, 32), (85, 85, 85)
FOOTNOTE = "Seq and hashes are the entries' own: a gap in seq is filtering, not deletion."

# (heading, width in characters, alignment) of the first line of an entry; the actor takes the
# rest. The second line holds the hashes under the same heading row, then the detail.
COLUMNS = (
    ("Seq", 8, ">"),
    ("Recorded at (London)", 23, "<"),
    ("School date", 11, "<"),
    ("School", 7, "<"),
    ("Pupil (UPN)", 13, "<"),
    ("Case", 6, ">"),
    ("What happened", 42, "<"),  # the longest of AUDIT_LABELS
    ("Stage", 34, "<"),  # the longest stage title
)
GAP = "  "
HASHES_AT = COLUMNS[0][1] + len(GAP)
DETAIL_AT = HASHES_AT + 2 * (HASH_SHOWN + len(GAP))


class FontMissing(RuntimeError):
    """The monospaced font the trail is drawn in is not installed."""


@cache
def font_file(name: str) -> Path:
    """The TrueType file `name` from the usual font folders (searched once per process)."""
    for folder in FONT_FOLDERS:
        if (folder / name).is_file():
            return folder / name
    for folder in FONT_FOLDERS:
        found = next(folder.rglob(name), None) if folder.is_dir() else None
        if found is not None:
            return found
    raise FontMissing(f"the audit PDF needs {name} (DejaVu fonts; Debian: fonts-dejavu-core)")


@dataclass(frozen=True)
class TrailHeading:
    """What the first page states before any entry: the filters, the count, the chain check."""

    filters: list[tuple[str, str]]
    entries: int
    verification: str
    intact: bool
    generated_at: datetime


def _local(at_iso: str) -> str:
    return datetime.fromisoformat(at_iso).astimezone(LONDON).strftime("%d/%m/%Y %H:%M:%S %Z")


def _day(iso_day: str | None) -> str:
    return "" if not iso_day else date.fromisoformat(iso_day).strftime("%d/%m/%Y")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _detail_value(key: str, value: Any) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return detail_text(key, value)


def _detail(detail: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{detail_label(key)}: {_detail_value(key, value)}" for key, value in sorted(detail.items())
    )


def _wrap(text: str, width: int, indent: int) -> list[str]:
    """`text` in lines of `width` characters, the continuation lines indented by `indent`."""
    if len(text) <= width:
        return [text]
    return textwrap.wrap(
        text, width, subsequent_indent=" " * indent, break_on_hyphens=False, drop_whitespace=True
    )


def entry_lines(record: Mapping[str, Any], width: int) -> list[str]:
    """One export record as the lines printed for it, each at most `width` characters."""
    values = (
        record["seq"],
        _local(record["at"]),
        _day(record["school_date"]),
        _cell(record["urn"]),
        _cell(record["upn"]),
        _cell(record["case_id"]),
        audit_label(record["kind"]),
        stage_label(record["stage"]),
    )
    first = GAP.join(
        f"{value:{align}{size}}" for value, (_, size, align) in zip(values, COLUMNS, strict=True)
    )
    hashes = GAP.join((record["hash"][:HASH_SHOWN], record["prev_hash"][:HASH_SHOWN]))
    second = " " * HASHES_AT + hashes + GAP + _detail(record["detail"])
    return [
        *_wrap(f"{first}{GAP}{record['actor']}", width, len(first) + len(GAP)),
        *_wrap(second, width, DETAIL_AT),
    ]


def heading_lines() -> list[str]:
    """The column headings printed at the top of every page."""
    first = GAP.join(f"{name:{align}{size}}" for name, size, align in COLUMNS) + GAP + "Actor"
    hashes = GAP.join((f"{'Hash':<{HASH_SHOWN}}", f"{'Previous hash':<{HASH_SHOWN}}"))
    return [first, " " * HASHES_AT + hashes + GAP + "Detail"]


def printable(text: str, cmap: Mapping[int, Any]) -> str:
    """`text` with whitespace controls as spaces and characters the font lacks as <U+XXXX>,
    so nothing vanishes from the page without a trace."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        " " if char in "\t\n\r" else char if ord(char) in cmap else f"<U+{ord(char):04X}>"
        for char in text
    )


class TrailDocument:
    """One trail PDF being written: the heading on the first page, then entries as they come."""

    def __init__(self, heading: TrailHeading) -> None:
        self._heading = heading
        self._generated = heading.generated_at.astimezone(LONDON).strftime("%d/%m/%Y %H:%M %Z")
        pdf = FPDF(orientation="L", unit="mm", format="A4")
        pdf.set_auto_page_break(False)  # pages are broken here, between entries
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_creation_date(heading.generated_at)
        pdf.set_title("Audit trail")
        pdf.set_creator("Attendance Pathway")
        pdf.alias_nb_pages()
        for style, name in FONT_FILES.items():
            pdf.add_font("mono", style, str(font_file(name)))
        pdf.set_font("mono", size=BODY_PT)
        self._pdf = pdf
        self._cmap: Mapping[int, Any] = pdf.current_font.cmap  # type: ignore[union-attr]
        self._width = int((PAGE_W - 2 * MARGIN) / pdf.get_string_width("0"))
        self._y = BOTTOM_MM
        self._written = 0
        self._start_page(first=True)

    def add_entry(self, record: Mapping[str, Any]) -> None:
        """Print one export record, on a new page if it does not fit on this one."""
        lines = entry_lines(record, self._width)
        if self._y + len(lines) * LINE_MM > BOTTOM_MM:
            self._start_page()
        for line in lines:
            if self._y + LINE_MM > BOTTOM_MM:  # an entry longer than a page goes on
                self._start_page()
            self._y += LINE_MM
            self._pdf.text(MARGIN, self._y, printable(line, self._cmap))
        self._y += ENTRY_GAP_MM
        self._written += 1

    def finish(self, out: BinaryIO) -> None:
        """Close the trail with the count printed, and write the whole PDF to `out`."""
        if self._written == 0:
            self._line("No audit entries match these filters.", SMALL_PT)
        else:
            shown = f"{self._written:,} {'entry' if self._written == 1 else 'entries'}"
            self._line(f"End of the trail: {shown} shown.", SMALL_PT)
        self._pdf.output(out)

    def _line(self, text: str, size: float, style: str = "") -> None:
        self._pdf.set_font("mono", style, size)
        height = size * 1.3 * 25.4 / 72
        if self._y + height > BOTTOM_MM:
            self._start_page()
        self._y += height
        self._pdf.text(MARGIN, self._y, printable(text, self._cmap))
        self._pdf.set_font("mono", "", BODY_PT)

    def _start_page(self, *, first: bool = False) -> None:
        pdf = self._pdf
        pdf.add_page()
        pdf.set_text_color(*GREY)
        pdf.set_font("mono", "", SMALL_PT)
        pdf.text(MARGIN, MARGIN - 3, "Attendance Pathway – audit trail")
        generated = f"Generated {self._generated}"
        pdf.text(PAGE_W - MARGIN - pdf.get_string_width(generated), MARGIN - 3, generated)
        pdf.set_xy(MARGIN, PAGE_H - 10)
        pdf.cell(text=FOOTNOTE)
        pdf.set_xy(MARGIN, PAGE_H - 10)
        pdf.cell(w=PAGE_W - 2 * MARGIN, text=f"Page {pdf.page_no()} of {{nb}}", align="R")
        pdf.set_text_color(0, 0, 0)
        self._y = MARGIN
        if first:
            self._first_page_heading()
        pdf.set_font("mono", "B", BODY_PT)
        for line in heading_lines():
            self._y += LINE_MM
            pdf.text(MARGIN, self._y, line)
        self._y += 1.0
        pdf.line(MARGIN, self._y, PAGE_W - MARGIN, self._y)
        self._y += 0.5
        pdf.set_font("mono", "", BODY_PT)

    def _first_page_heading(self) -> None:
        heading, pdf = self._heading, self._pdf
        self._line("Audit trail", 14, "B")
        self._y += 2
        filters = [*heading.filters, ("Entries shown", f"{heading.entries:,}")]
        self._line(
            "   ".join(f"{label}: {value}" for label, value in [*filters, ("Times", LONDON.key)]),
            SMALL_PT,
        )
        self._y += 2
        pdf.set_font("mono", "B", SMALL_PT)
        pdf.set_text_color(*(GREEN if heading.intact else RED))
        pdf.set_draw_color(*(GREEN if heading.intact else RED))
        pdf.set_xy(MARGIN, self._y)
        pdf.multi_cell(
            w=PAGE_W - 2 * MARGIN,
            h=SMALL_PT * 1.4 * 25.4 / 72,
            text=printable(heading.verification, self._cmap),
            border=1,
            padding=1,
        )
        self._y = pdf.get_y() + 2
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
