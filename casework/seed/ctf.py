"""Each synthetic school written as one CTF, from the CSVs the seed has just written.

The CSVs are read back through the importers' own validators, so a school's CTF holds exactly
what `pathway import` would have stored; each session carries its latest version (an amended N
goes out as the I or O it became). Pupils and their marks are streamed in the order the seed
wrote them (school by school, pupil by pupil), so one school's marks are in memory at a time.
The file's DateTime is the evening of the span's last day: the same arguments, the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from itertools import groupby
from pathlib import Path
from typing import TypeVar

from casework.core.imports.contacts import ContactRecord, ContactRowParser
from casework.core.imports.ctf_writer import PupilTransfer, SessionCodes, write_ctf
from casework.core.imports.pupils import PupilRecord, PupilRowParser
from casework.core.imports.rows import CsvTable, Raw, RowProblem, read_table
from casework.core.imports.schools import parse_school

MADE_AT = time(18, 0)
R = TypeVar("R")


def _table(path: Path) -> CsvTable:
    return read_table(path.read_text(encoding="utf-8"))


def _records(table: CsvTable, parse: Callable[[Raw], R]) -> list[R]:
    found: list[R] = []
    for row_no, fields in table.rows:
        try:
            found.append(parse(table.raw(fields)))
        except RowProblem as exc:
            raise ValueError(f"seed row {row_no} does not import: {exc}") from None
    return found


def _marks_by_pupil(path: Path) -> Iterator[tuple[str, SessionCodes]]:
    """(upn, latest code of each session) for each pupil, in the file's order."""
    with path.open(encoding="utf-8") as handle:
        next(handle)  # the header
        split = (line.rstrip("\n").split(",") for line in handle)
        for upn, rows in groupby(split, key=lambda fields: fields[0]):
            versions: dict[tuple[date, str], tuple[str, str]] = {}
            for _, _, day, session, code, _, recorded in rows:
                slot = (date.fromisoformat(day), session)
                # A blank recorded_at is the register close; an amendment names a later time.
                if slot not in versions or recorded >= versions[slot][0]:
                    versions[slot] = (recorded, code)
            yield upn, {slot: code for slot, (_, code) in versions.items()}


def _transfers(
    pupils: list[PupilRecord], contacts: dict[str, list[ContactRecord]], marks_csv: Path
) -> Iterator[PupilTransfer]:
    """Each pupil with their contacts and marks; the marks file lists pupils in the same order,
    leaving out those with no session in the span."""
    marks = _marks_by_pupil(marks_csv)
    pending = next(marks, None)
    for pupil in pupils:
        codes: SessionCodes = {}
        if pending is not None and pending[0] == pupil.upn:
            codes = pending[1]
            pending = next(marks, None)
        yield PupilTransfer(pupil, contacts.get(pupil.upn, []), codes)


def write_school_ctfs(csv_dir: Path, out_dir: Path, last_day: date) -> dict[str, int]:
    """One CTF per school into `out_dir` (named by URN); returns pupils per file."""
    schools = {s.urn: s for s in _records(_table(csv_dir / "schools.csv"), parse_school)}
    parser = PupilRowParser(set(schools), last_day + timedelta(days=1))
    pupils = _records(_table(csv_dir / "pupils.csv"), parser)
    contacts: dict[str, list[ContactRecord]] = {}
    known = {p.upn for p in pupils}
    for contact in _records(_table(csv_dir / "contacts.csv"), ContactRowParser(known)):
        contacts.setdefault(contact.upn, []).append(contact)
    out_dir.mkdir(parents=True, exist_ok=True)
    made_at = datetime.combine(last_day, MADE_AT)
    written: dict[str, int] = {}
    transfers = _transfers(pupils, contacts, csv_dir / "marks.csv")
    for urn, group in groupby(transfers, key=lambda t: t.pupil.urn):
        school_pupils = list(group)
        (out_dir / f"{urn}.xml").write_bytes(write_ctf(schools[urn], school_pupils, made_at))
        written[urn] = len(school_pupils)
    return written
