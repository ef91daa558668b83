"""`marks.csv` rows: one version of one register mark each (DESIGN.md "What a sweep sees").

A version is identified by (upn, date, session, recorded_at). A blank `recorded_at` means "when
that session's register closed" and is computed here from the school's close times, so the
stored version always has its time. A later `recorded_at` for the same slot is an amendment and
is kept beside the original (DOMAIN.md rule 28). Marks files are large, so each distinct UPN,
date, code and close time is checked once and remembered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from casework.core.calendar import RegisterSession, register_close_at
from casework.core.codes import LATE, UnknownCode, normalise_code
from casework.core.imports.identifiers import UpnChecker
from casework.core.imports.rows import CsvTable, RowError, RowProblem, Validated, shape_problem
from casework.core.imports.storable import has_unstorable, unstorable

COLUMNS = ("upn", "urn", "date", "session", "code", "minutes_late", "recorded_at")

MarkKey = tuple[str, date, str, datetime]  # upn, school date, session, recorded_at (UTC)
StoredMark = tuple[str, int | None]  # code, minutes_late


class MarkRecord(NamedTuple):
    upn: str
    urn: str
    school_date: date
    session: str
    code: str
    original_code: str
    minutes_late: int | None
    recorded_at: datetime  # aware UTC


@dataclass(frozen=True, slots=True)
class MarkContext:
    """What validating marks needs to know, loaded in bulk by the shell."""

    pupil_schools: Mapping[str, str]  # upn -> urn of the pupil's school
    close_times: Mapping[str, tuple[time, time]]  # urn -> (AM close, PM close), local
    existing: Mapping[MarkKey, StoredMark]  # versions already stored for the dates in scope
    tz: ZoneInfo


@dataclass(frozen=True, slots=True)
class MarkScope:
    """The schools and date range a marks file touches: what the shell loads versions for."""

    urns: frozenset[str]
    first_date: date | None
    last_date: date | None


def mark_scope(table: CsvTable) -> MarkScope:
    urn_at, date_at = table.positions(("urn", "date"))
    # The distinct values first, then each trimmed once: a file holds few of either.
    raw_dates = {fields[date_at] for _, fields in table.rows if len(fields) > date_at}
    dates: set[date] = set()
    for text in {text.strip() for text in raw_dates}:
        try:
            dates.add(date.fromisoformat(text))
        except ValueError:
            continue
    raw_urns = {fields[urn_at] for _, fields in table.rows if len(fields) > urn_at}
    urns = frozenset(text.strip() for text in raw_urns)
    return MarkScope(urns, min(dates, default=None), max(dates, default=None))


Slot = tuple[str, date, str, datetime]  # urn, school date, session, register close (UTC)


class MarkRowParser:
    """Parses mark rows (fields at `positions`, in COLUMNS order).

    The few distinct (pupil, school), (school, date, session) and code values of a big file are
    each checked once: the caches hold the checked value, or the reason it was refused.
    """

    def __init__(self, context: MarkContext, positions: Sequence[int]) -> None:
        self._context = context
        self._pick = itemgetter(*positions)
        self._upns = UpnChecker()
        self._pupils: dict[tuple[str, str], tuple[str, str] | str] = {}
        self._slots: dict[tuple[str, str, str], Slot | str] = {}
        self._codes: dict[str, tuple[str, str] | str] = {}

    def __call__(self, fields: list[str]) -> MarkRecord:
        upn_text, urn_text, day, session, code_text, minutes, recorded = self._pick(fields)
        pupil = self._pupils.get((upn_text, urn_text)) or self._check_pupil(upn_text, urn_text)
        slot = self._slots.get((urn_text, day, session)) or self._check_slot(urn_text, day, session)
        coded = self._codes.get(code_text) or self._check_code(code_text)
        if isinstance(pupil, str) or isinstance(slot, str) or isinstance(coded, str):
            raise RowProblem(next(r for r in (pupil, slot, coded) if isinstance(r, str)))
        upn, urn = pupil
        _, school_date, session, close_at = slot
        code, original = coded
        return MarkRecord(
            upn,
            urn,
            school_date,
            session,
            code,
            original,
            _minutes_late(minutes, code) if minutes else None,
            self._recorded_at(recorded) if recorded else close_at,
        )

    def _check_pupil(self, upn_text: str, urn_text: str) -> tuple[str, str] | str:
        try:
            found: tuple[str, str] | str = self._pupil(upn_text.strip(), urn_text.strip())
        except RowProblem as exc:
            found = str(exc)
        self._pupils[(upn_text, urn_text)] = found
        return found

    def _pupil(self, upn: str, urn: str) -> tuple[str, str]:
        if upn not in self._context.pupil_schools:
            self._upns.check(upn)  # a pupil on roll had its check letter checked on import
        if urn not in self._context.close_times:
            raise RowProblem(f"unknown school urn {urn!r}" if urn else "urn is required")
        on_roll = self._context.pupil_schools.get(upn)
        if on_roll is None:
            raise RowProblem("unknown pupil: no pupil with this upn has been imported")
        if on_roll != urn:
            raise RowProblem(f"pupil is on the roll of school {on_roll}, not {urn}")
        return upn, urn

    def _check_slot(self, urn_text: str, day: str, session: str) -> Slot | str:
        try:
            found: Slot | str = self._slot(urn_text.strip(), day.strip(), session.strip())
        except RowProblem as exc:
            found = str(exc)
        self._slots[(urn_text, day, session)] = found
        return found

    def _slot(self, urn: str, day: str, session: str) -> Slot:
        school_date = _parse_date(day)
        if session not in _SESSIONS:
            raise RowProblem(f"session must be AM or PM, not {session!r}")
        times = self._context.close_times.get(urn)
        if times is None:
            raise RowProblem(f"unknown school urn {urn!r}" if urn else "urn is required")
        closes_at = register_close_at(
            school_date, RegisterSession(session), times[0], times[1], self._context.tz
        )
        return urn, school_date, session, closes_at

    def _check_code(self, text: str) -> tuple[str, str] | str:
        try:
            code, _legacy = normalise_code(text)
            found: tuple[str, str] | str = (code, text.strip().upper())
        except UnknownCode as exc:
            found = str(exc)
        self._codes[text] = found
        return found

    def _recorded_at(self, text: str) -> datetime:
        text = text.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RowProblem(f"recorded_at {text!r} is not an ISO 8601 date and time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self._context.tz)
        return parsed.astimezone(UTC)


def _parse_date(text: str) -> date:
    # fromisoformat also takes compact forms like 20250903; the contract says YYYY-MM-DD.
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RowProblem(f"date {text!r} is not a real date (YYYY-MM-DD)")


_SESSIONS = frozenset(s.value for s in RegisterSession)


def _minutes_late(text: str, code: str) -> int | None:
    try:
        minutes = int(text)
    except ValueError:
        raise RowProblem(f"minutes_late must be a whole number, not {text!r}") from None
    if minutes < 0:
        raise RowProblem(f"minutes_late must be 0 or more, not {minutes}")
    if code in LATE:
        return minutes
    if minutes:
        raise RowProblem(f"minutes_late is only meaningful for L and U, not code {code}")
    return None


def validate_marks(table: CsvTable, context: MarkContext) -> Validated[MarkRecord]:
    """New mark versions to insert; a version already stored with the same code is unchanged,
    one stored with a different code is a conflict (an amendment needs a later recorded_at)."""
    whole: Validated[MarkRecord] = Validated()
    for part in validated_in_parts(table, context, max(len(table.rows), 1)):
        whole.fresh.extend(part.fresh)
        whole.unchanged += part.unchanged
        whole.errors.extend(part.errors)
    return whole


def validated_in_parts(
    table: CsvTable, context: MarkContext, rows_per_part: int
) -> Iterator[Validated[MarkRecord]]:
    """`validate_marks` a part of `rows_per_part` rows at a time, so the caller can write one part
    while the next is checked. A row is judged against every row before it, in any part."""
    judge, rows = _MarkJudge(table, context), table.rows
    for start in range(0, max(len(rows), 1), rows_per_part):
        yield judge.part(rows[start : start + rows_per_part])


class _MarkJudge:
    """Puts each row into a part's fresh, unchanged or errors, remembering the rows seen."""

    def __init__(self, table: CsvTable, context: MarkContext) -> None:
        self._table = table
        self._parse = MarkRowParser(context, table.positions(COLUMNS))
        self._seen: dict[MarkKey, int] = {}
        self._existing = context.existing

    def part(self, rows: Sequence[tuple[int, list[str]]]) -> Validated[MarkRecord]:
        part: Validated[MarkRecord] = Validated()
        table, parse, seen, existing = self._table, self._parse, self._seen, self._existing
        width, all_storable = table.width, table.all_storable
        for row_no, fields in rows:
            try:
                if len(fields) != width:
                    raise RowProblem(shape_problem(fields, width) or "")
                if not all_storable and has_unstorable(fields):
                    raise RowProblem(unstorable(table.raw(fields)) or "a value cannot be stored")
                mark = parse(fields)
            except RowProblem as exc:
                part.errors.append(RowError(row_no, str(exc), table.raw(fields)))
                continue
            key = (mark.upn, mark.school_date, mark.session, mark.recorded_at)
            first = seen.setdefault(key, row_no)
            stored = existing.get(key) if existing else None
            if first != row_no:
                part.errors.append(RowError(row_no, f"duplicate of row {first}", table.raw(fields)))
            elif stored is None:
                part.fresh.append(mark)
            elif stored == (mark.code, mark.minutes_late):
                part.unchanged += 1
            else:
                part.errors.append(RowError(row_no, _conflict(stored[0]), table.raw(fields)))
        return part


def _conflict(stored_code: str) -> str:
    return (
        f"conflicts with the stored mark {stored_code} for this pupil, date, session and "
        "recorded_at (an amendment needs a later recorded_at)"
    )
