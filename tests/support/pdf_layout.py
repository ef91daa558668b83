"""Does a PDF fit its pages? Every character's box, as pypdfium2 reads it, lies on the page."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

SLACK = 0.5  # points: rounding in the PDF's own coordinates


def text_off_the_page(path: Path) -> list[str]:
    """`page N: <text>` for each page with characters outside its media box (empty when it fits)."""
    problems = []
    document = pdfium.PdfDocument(str(path))
    for number, page in enumerate(document, start=1):
        width, height = page.get_size()
        text = page.get_textpage()
        outside = []
        for index in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(index)
            if left < -SLACK or bottom < -SLACK or right > width + SLACK or top > height + SLACK:
                outside.append(text.get_text_range(index, 1))
        if outside:
            problems.append(f"page {number}: {''.join(outside)[:120]!r}")
    return problems
