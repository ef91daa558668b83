"""A report document as one self-contained HTML page (styles inline, charts as inline SVG).

The same page is written beside the PDF and given to WeasyPrint, so the two always match. The
templates live in `letter_templates/reports/`; they lay out the document's sections and tables
and format nothing themselves.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from casework.core.reports.documents import Document

TEMPLATES = Path(__file__).resolve().parents[2] / "letter_templates" / "reports"

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(document: Document) -> str:
    return _ENV.get_template("report.html.j2").render(doc=document)
