"""The audit trail as users wait on it: exports (JSONL, CSV, PDF) and the chain's verification.

A chain of `--entries` entries (default 50,000: a large school's year, in 1,000-entry
transactions like a sweep's) is written once per database; then it is exported whole as JSONL and
CSV, verified whole, and verified again incrementally after a morning's 200 more entries (ADR
0011). Then, after 200 more, one school's autumn term is exported as PDF (2,520 entries at the
default size: enough that the rate is the layout's, not a fixed cost's), as the CLI and web do:
checking the chain after its last verified head; and once more with a full check, as
`--full-check` or the first export ever does. fpdf2's import (once per process: the web app pays
it once, each CLI call once) is timed apart.

    .venv/bin/python -m bench.audit [--entries 50000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from casework.core.audit import AuditDraft, AuditKind
from casework.db.audit_checkpoint import checkpoint_path
from casework.db.audit_log import append_entries
from casework.db.migrate import upgrade
from casework.db.session import dispose_engines, get_engine, unit_of_work
from casework.service.audit import trail, trail_pdf
from casework.service.audit.trail import ExportFormat, TrailFilters

BATCH = 1_000
PDF_SCHOOL = "100007"  # one school of 20, over the autumn term: what a court asks for
PDF_FROM, PDF_TO = date(2025, 9, 1), date(2025, 12, 19)
AT = datetime(2025, 9, 8, 8, 0, tzinfo=UTC)
PDF_SLICE = TrailFilters(urn=PDF_SCHOOL, from_date=PDF_FROM, to_date=PDF_TO)


def _draft(n: int) -> AuditDraft:
    kinds = (AuditKind.MESSAGE_QUEUED, AuditKind.TASK_CREATED, AuditKind.STAGE_ENTERED)
    kind = kinds[n % 3]
    details: dict[AuditKind, dict[str, Any]] = {
        AuditKind.MESSAGE_QUEUED: {
            "channel": "sms",
            "template": "first_day_call/parent.sms.j2",
            "recipient_role": "parent",
            "message_id": n,
        },
        AuditKind.TASK_CREATED: {
            "task_kind": "home_visit",
            "task_id": n,
            "due_date": "2025-09-12",
            "owner_role": "attendance_officer",
        },
        AuditKind.STAGE_ENTERED: {"reason": "unexplained absence on day 1"},
    }
    return AuditDraft(
        kind=kind,
        actor="system",
        school_date=date(2025, 9, 8) + timedelta(days=(n // 500) % 180),
        urn=f"1000{n % 20:02d}",
        upn=f"H93120002{n % 5_000:04d}",
        case_id=n % 5_000,
        stage="first_day_call",
        detail=details[kind],
    )


def _write_chain(engine: Engine, entries: int, start: int = 0) -> int:
    """Append `entries` entries from number `start`; how many."""
    for first in range(start, start + entries, BATCH):
        count = min(BATCH, start + entries - first)
        with unit_of_work(engine) as session:
            drafts = [_draft(n) for n in range(first, first + count)]
            append_entries(session, drafts, AT + timedelta(seconds=first))
    return entries


def _timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = run()
    return count, time.perf_counter() - started


def _rate(count: int, seconds: float) -> float:
    return round(count / max(seconds, 1e-9), 1)


def measure(url: str, entries: int, folder: Path) -> dict[str, Any]:
    """Every audit figure on one freshly migrated database at `url`."""
    upgrade(url)
    engine = get_engine(url)
    _, write_s = _timed(partial(_write_chain, engine, entries))
    out: dict[str, Any] = {"entries": entries, "write_entries_per_s": _rate(entries, write_s)}
    for fmt in (ExportFormat.JSONL, ExportFormat.CSV):
        count, seconds = _timed(partial(trail.export, engine, fmt, io.StringIO()))
        out[f"export_{fmt.value}_entries_per_s"] = _rate(count, seconds)
    checkpoint = checkpoint_path(folder / "audit-anchor.jsonl")
    full, full_s = _timed(
        lambda: trail.verify_and_checkpoint(engine, [], checkpoint, full=True).entries
    )
    _write_chain(engine, 200, start=entries)
    quick, quick_s = _timed(
        lambda: trail.verify_and_checkpoint(engine, [], checkpoint, full=False).entries
    )
    out |= {
        "verify_full_s": round(full_s, 3),
        "verify_full_entries": full,
        "verify_incremental_s": round(quick_s, 4),
        "verify_incremental_entries": quick,
    }
    _write_chain(engine, 200, start=entries + 200)
    folder.mkdir(parents=True, exist_ok=True)
    for key, check in (
        ("export_pdf", trail_pdf.ChainCheck(checkpoint=checkpoint)),
        ("export_pdf_full_check", trail_pdf.ChainCheck(checkpoint=checkpoint, full=True)),
    ):
        count, seconds = _timed(partial(_export_pdf, engine, folder, check))
        out |= {f"{key}_entries": count, f"{key}_entries_per_s": _rate(count, seconds)}
    dispose_engines()
    return out


def _export_pdf(engine: Engine, folder: Path, check: trail_pdf.ChainCheck) -> int:
    with (folder / "slice.pdf").open("wb") as out:
        return trail_pdf.write_pdf(engine, out, filters=PDF_SLICE, check=check)


def _import_renderer() -> float:
    started = time.perf_counter()
    import casework.service.audit.pdf  # noqa: F401  (what the first PDF export of a process pays)

    return round(time.perf_counter() - started, 2)


def run(entries: int = 50_000, postgres: bool = True) -> dict[str, Any]:
    """The audit figures on SQLite and, when reachable, PostgreSQL."""
    from bench.la import postgres_reachable
    from tests.conftest import create_postgres_database, drop_postgres_database

    results: dict[str, Any] = {"process": {"pdf_renderer_import_s": _import_renderer()}}
    with tempfile.TemporaryDirectory(prefix="pathway-bench-audit-") as tmp:
        folder = Path(tmp)
        results["sqlite"] = measure(f"sqlite:///{folder / 'audit.db'}", entries, folder)
        if postgres and postgres_reachable():
            url = create_postgres_database()
            try:
                results["postgres"] = measure(url, entries, folder / "pg")
            finally:
                drop_postgres_database(url)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    for database, figures in run(args.entries, not args.no_postgres).items():
        for key, value in figures.items():
            print(f"{database:<9} {key:<36} {value}")


if __name__ == "__main__":
    main()
