"""`pathway import marks FILE --profile PROFILE`: a school's own export, through a mapping profile.

The profile is a TOML file, or the name of one shipped in `casework/core/imports/profiles/`. The
translated rows then go through the marks import exactly as a `marks.csv` would (validation,
quarantine, report, bulk insert); rows the profile cannot translate join the quarantine.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from casework.core.imports import mark_profiles
from casework.core.imports.mark_profiles import MarksProfile, ProfileProblem, parse_profile
from casework.core.imports.profiled_marks import translate
from casework.core.imports.rows import read_table
from casework.service.importing.files import ImportResult, gc_paused, import_table
from casework.service.progress import SILENT, Progress

# The shipped profiles sit beside the module that reads them, wherever the package lives.
SHIPPED = Path(mark_profiles.__file__).resolve().parent / "profiles"


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.toml"))


def load_profile(reference: str) -> MarksProfile:
    """A profile by path, or by the name of a shipped one; raises ProfileProblem."""
    path = Path(reference)
    if not path.is_file():
        path = SHIPPED / f"{reference}.toml"
    if not path.is_file():
        known = ", ".join(shipped_profiles())
        raise ProfileProblem(f"no profile file {reference!r}, nor a shipped one (shipped: {known})")
    return parse_profile(path.read_text(encoding="utf-8"), path.stem)


def _refused(reason: str) -> ImportResult:
    return ImportResult("marks", 0, 0, 0, None, None, [], reason)


def import_profiled_marks(
    engine: Engine,
    path: Path,
    profile_ref: str,
    *,
    reports_dir: Path,
    tz: ZoneInfo,
    now: datetime,
    progress: Progress = SILENT,
) -> ImportResult:
    """Import a marks export read through the profile; a refused file writes nothing."""
    try:
        profile = load_profile(profile_ref)
    except ProfileProblem as exc:
        return _refused(str(exc))

    def run() -> ImportResult:  # its own frame: the file's objects are freed when it returns
        data = path.read_bytes()
        try:
            export = read_table(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            return _refused(f"the file is not UTF-8 text (byte {exc.start})")
        except csv.Error as exc:
            return _refused(f"the file is not readable CSV: {exc}")
        translated = translate(export, profile)
        if isinstance(translated, str):
            return _refused(translated)
        return import_table(
            engine,
            "marks",
            (path.name, hashlib.sha256(data).hexdigest(), translated.table),
            pre_errors=tuple(translated.errors),
            reports_dir=reports_dir,
            tz=tz,
            now=now,
            progress=progress,
        )

    with gc_paused():
        return run()
