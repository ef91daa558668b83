"""The audit trail as a PDF for a court or an auditor: Jinja2 renders HTML, WeasyPrint lays it out.

The layout lives in letter_templates/audit/trail.html.j2. Times are shown in Europe/London, the
way the school day was lived; the JSONL export keeps the exact UTC values and full hashes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypedDict

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from casework.settings import LONDON

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "letter_templates"
TEMPLATE = "audit/trail.html.j2"
HASH_SHOWN = 16


class FilterKwargs(TypedDict):
    urn: str | None
    upn: str | None
    from_date: date | None
    to_date: date | None


@dataclass(frozen=True)
class TrailFilters:
    """Which entries an export holds: one school, one pupil, a span of school dates."""

    urn: str | None = None
    upn: str | None = None
    from_date: date | None = None
    to_date: date | None = None

    def as_kwargs(self) -> FilterKwargs:
        """The filters as the keyword arguments of the export functions."""
        return FilterKwargs(
            urn=self.urn, upn=self.upn, from_date=self.from_date, to_date=self.to_date
        )

    def describe(self) -> list[tuple[str, str]]:
        """The filters as (label, value) pairs, 'all' where unset."""
        return [
            ("School (URN)", self.urn or "all"),
            ("Pupil (UPN)", self.upn or "all"),
            ("From", self.from_date.isoformat() if self.from_date else "start of the trail"),
            ("To", self.to_date.isoformat() if self.to_date else "end of the trail"),
        ]


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _local(at_iso: str) -> str:
    return datetime.fromisoformat(at_iso).astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")


def _detail_lines(detail: dict[str, Any]) -> list[str]:
    return [
        f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in sorted(detail.items())
    ]


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": record["seq"],
        "at": _local(record["at"]),
        "school_date": record["school_date"] or "",
        "urn": record["urn"] or "",
        "upn": record["upn"] or "",
        "case_id": "" if record["case_id"] is None else record["case_id"],
        "actor": record["actor"],
        "kind": record["kind"],
        "stage": record["stage"] or "",
        "detail": _detail_lines(record["detail"]),
        "hash": record["hash"][:HASH_SHOWN],
        "prev_hash": record["prev_hash"][:HASH_SHOWN],
    }


def render_trail_html(
    entries: Sequence[dict[str, Any]],
    filters: TrailFilters,
    verification: str,
    generated_at: datetime,
) -> str:
    """The trail page as HTML (export records in, escaped HTML out)."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            rows=[_row(record) for record in entries],
            filters=filters.describe(),
            verification=verification,
            verified=verification.startswith("Audit chain verified"),
            generated_at=generated_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z"),
            hash_shown=HASH_SHOWN,
        )
    )


def render_trail_pdf(
    entries: Sequence[dict[str, Any]],
    filters: TrailFilters,
    verification: str,
    generated_at: datetime,
) -> bytes:
    """The trail as PDF bytes: A4 landscape, page numbers, filters and verification on top."""
    # Imported here: WeasyPrint takes over a second to import and only PDF exports need it.
    from weasyprint import HTML

    html = render_trail_html(entries, filters, verification, generated_at)
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()
    return pdf
