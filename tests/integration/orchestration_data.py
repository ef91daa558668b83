"""Test data for the orchestration tests: the shared first-day-call scenario and a synthetic LA.

The synthetic LA is written as the five DESIGN.md CSVs, so it goes through the real importer.
Every fifth pupil of each school is absent without a reason (`N`) on Monday 8 September 2025 and
present on the school days before it, so a Monday AM sweep must open exactly one first-day call
for each of them and nothing for anyone else.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from stdnum.gb import upn as upn_check

from casework.core.imports.contacts import COLUMNS as CONTACT_COLUMNS
from casework.core.imports.pupils import COLUMNS as PUPIL_COLUMNS
from casework.core.imports.schools import COLUMNS as SCHOOL_COLUMNS
from casework.service.importing.files import import_file
from casework.settings import LONDON, Settings
from flows.runtime import configure_prefect_env
from tests.conftest import SHARED

FIRST_DAY_CALL = SHARED / "scenarios" / "first_day_call"
KINDS = ("schools", "calendar", "pupils", "contacts", "marks")
MONDAY = date(2025, 9, 8)
SATURDAY = date(2025, 9, 6)
HALF_TERM_TUESDAY = date(2025, 10, 28)
IMPORTED_AT = datetime(2025, 9, 8, 12, 0, tzinfo=UTC)
ACTION_TABLES = ("stage_entries", "tasks", "messages", "letters", "decisions", "audit_entries")
_DAYS_BEFORE = ("2025-09-03", "2025-09-04", "2025-09-05")


def isolate_prefect_env(base: Path) -> None:
    """Give this test session its own PREFECT_HOME and the project's Prefect defaults.

    Prefect reads its settings when first imported, so call this before any `import prefect`;
    the first call in a session wins (the values are only defaults).
    """
    configure_prefect_env(Settings(var_dir=base / "prefect-var"))


def import_scenario(
    engine: Engine, folder: Path, reports_dir: Path, kinds: tuple[str, ...] = KINDS
) -> None:
    """Import the CSVs of a scenario folder (`kinds`, in dependency order); every row must pass."""
    for kind in kinds:
        result = import_file(
            engine,
            kind,
            folder / f"{kind}.csv",
            reports_dir=reports_dir,
            tz=LONDON,
            now=IMPORTED_AT,
        )
        assert result.rejected == 0, (kind, result.errors[:3], result.header_error)


def import_all_but_marks(engine: Engine, folder: Path, reports_dir: Path) -> None:
    """Import a folder's files before its marks (schools, calendar, pupils, contacts)."""
    import_scenario(engine, folder, reports_dir, tuple(k for k in KINDS if k != "marks"))


def action_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table a sweep writes actions to."""
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ACTION_TABLES
        }


def stage_entries(engine: Engine) -> list[tuple[str, str, date]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT upn, stage, entered_date FROM stage_entries"))
        return sorted((r.upn, r.stage, _as_date(r.entered_date)) for r in rows)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _upn(school_no: int, pupil_no: int) -> str:
    body = f"931{4000 + school_no:04d}25{pupil_no:03d}"
    return upn_check.calc_check_digit(body) + body


def write_synthetic_la(folder: Path, schools: int, pupils_per_school: int) -> list[str]:
    """Write the five CSVs into folder; returns the UPNs absent without reason on MONDAY."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calendar.csv").write_bytes((FIRST_DAY_CALL / "calendar.csv").read_bytes())
    school_rows, pupil_rows, contact_rows, mark_rows, absent = [], [], [], [], []
    for s in range(1, schools + 1):
        urn = f"{200000 + s}"
        school_rows.append([urn, f"School {urn}", "931", "primary", "09:15", "13:45"])
        for p in range(1, pupils_per_school + 1):
            upn = _upn(s, p)
            pupil_rows.append(
                [
                    upn,
                    urn,
                    "Sam",
                    f"Pupil{p}",
                    "2016-05-01",
                    "4",
                    "N",
                    "false",
                    "false",
                    "false",
                    "false",
                    "none",
                    "",
                    "false",
                    "WBRI",
                    "ENG",
                ]
            )
            contact_rows.append(
                [
                    upn,
                    f"{upn}-1",
                    f"Parent {p}",
                    "mother",
                    "true",
                    "1",
                    f"+447911{s:02d}{p:04d}",
                    f"parent.{s}.{p}@example.org",
                    "sms",
                    "en",
                    "1 High St",
                ]
            )
            for day in _DAYS_BEFORE:
                mark_rows += [
                    [upn, urn, day, "AM", "/", "", ""],
                    [upn, urn, day, "PM", "\\", "", ""],
                ]
            code = "N" if p % 5 == 0 else "/"
            mark_rows.append([upn, urn, MONDAY.isoformat(), "AM", code, "", ""])
            if code == "N":
                absent.append(upn)
    _write(
        folder / "schools.csv",
        list(SCHOOL_COLUMNS),
        school_rows,
    )
    _write(
        folder / "pupils.csv",
        list(PUPIL_COLUMNS),
        pupil_rows,
    )
    _write(
        folder / "contacts.csv",
        list(CONTACT_COLUMNS),
        contact_rows,
    )
    _write(
        folder / "marks.csv",
        ["upn", "urn", "date", "session", "code", "minutes_late", "recorded_at"],
        mark_rows,
    )
    return sorted(absent)
