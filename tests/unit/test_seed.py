"""The synthetic LA: deterministic files, a realistic English calendar, pupils aged for their
year group, and register marks whose absence looks like England's."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from stdnum.gb import upn as stdnum_upn

from casework.core.codes import CODES
from casework.seed import write_synthetic_la
from casework.seed.terms import easter_sunday, half_terms

SPAN = (date(2025, 9, 1), date(2025, 12, 19))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def small_la(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("la")
    counts = write_synthetic_la(out, schools=3, pupils=400, start=SPAN[0], end=SPAN[1], seed=11)
    return out, counts


def final_codes(marks: list[dict[str, str]]) -> dict[tuple[str, str, str], str]:
    """Each slot's latest version (a blank recorded_at is the register close, the earliest)."""
    latest: dict[tuple[str, str, str], tuple[str, str]] = {}
    for row in marks:
        slot = (row["upn"], row["date"], row["session"])
        if slot not in latest or row["recorded_at"] >= latest[slot][0]:
            latest[slot] = (row["recorded_at"], row["code"])
    return {slot: code for slot, (_, code) in latest.items()}


def absence_by_pupil(marks: list[dict[str, str]]) -> dict[str, tuple[int, int]]:
    """upn -> (possible sessions, absent sessions), DOMAIN.md rule 2."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (upn, _, _), code in final_codes(marks).items():
        info = CODES[code]
        if info.is_possible:
            counts[upn][0] += 1
            counts[upn][1] += info.is_absence
    return {upn: (possible, absent) for upn, (possible, absent) in counts.items()}


class TestDeterminism:
    def test_same_arguments_give_byte_identical_files_when_run_twice(self, tmp_path: Path) -> None:
        """Two runs with the same seed write the same bytes; another seed writes other marks."""
        args = {"schools": 2, "pupils": 40, "start": date(2025, 9, 1), "end": date(2025, 9, 30)}
        for name, seed in (("a", 5), ("b", 5), ("c", 6)):
            write_synthetic_la(tmp_path / name, seed=seed, **args)  # type: ignore[arg-type]
        for kind in ("schools", "calendar", "pupils", "contacts", "marks"):
            first = (tmp_path / "a" / f"{kind}.csv").read_bytes()
            assert first == (tmp_path / "b" / f"{kind}.csv").read_bytes(), kind
        assert (tmp_path / "a/marks.csv").read_bytes() != (tmp_path / "c/marks.csv").read_bytes()

    def test_row_counts_are_reported_when_files_are_written(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """The counts returned are the data rows in each file (header excluded)."""
        out, counts = small_la
        assert {kind: len(read(out / f"{kind}.csv")) for kind in counts} == counts
        assert counts["schools"] == 3
        assert counts["pupils"] == 400


class TestCalendar:
    def test_half_terms_follow_the_english_pattern_when_built_for_2025(self) -> None:
        """2025-26: the dates most English LAs publish (and the shared scenarios use)."""
        assert half_terms(2025) == [
            (date(2025, 9, 1), date(2025, 10, 24)),
            (date(2025, 11, 3), date(2025, 12, 19)),
            (date(2026, 1, 5), date(2026, 2, 13)),
            (date(2026, 2, 23), date(2026, 3, 27)),
            (date(2026, 4, 13), date(2026, 5, 22)),
            (date(2026, 6, 1), date(2026, 7, 21)),
        ]

    @pytest.mark.parametrize(
        ("year", "expected"),
        [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5))],
    )
    def test_easter_is_right_when_computed(self, year: int, expected: date) -> None:
        """The Gregorian computus gives the known Easter Sundays."""
        assert easter_sunday(year) == expected

    def test_calendar_has_five_inset_days_and_la_wide_terms_when_written(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """One academic year: six term starts and ends and five INSET days, LA-wide."""
        rows = read(small_la[0] / "calendar.csv")
        kinds = Counter(r["kind"] for r in rows if r["urn"] == "")
        assert kinds == {"term_start": 6, "term_end": 6, "inset": 5}
        assert all(r["sessions"] == "ALL" for r in rows if r["kind"] in ("inset", "closed"))


class TestPupilsAndContacts:
    def test_every_upn_is_valid_and_unique_when_generated(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """UPNs carry LA 931 and a correct check letter (DOMAIN.md rule 31)."""
        upns = [p["upn"] for p in read(small_la[0] / "pupils.csv")]
        assert all(stdnum_upn.is_valid(u) and u[1:4] == "931" for u in upns)
        assert len(set(upns)) == len(upns)

    def test_pupils_are_aged_for_their_year_group(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """Year N in the year from September 2025 was born September 2019-N .. August 2020-N."""
        for pupil in read(small_la[0] / "pupils.csv"):
            n = 0 if pupil["year_group"] == "R" else int(pupil["year_group"])
            born = date.fromisoformat(pupil["date_of_birth"])
            assert date(2020 - n, 9, 1) <= born <= date(2021 - n, 8, 31), pupil["year_group"]

    def test_flags_come_out_at_plausible_rates(self, small_la: tuple[Path, dict[str, int]]) -> None:
        """FSM about a quarter, SEN support about an eighth, EHCPs a few per cent."""
        rows = read(small_la[0] / "pupils.csv")

        def share(test: Callable[[dict[str, str]], bool]) -> float:
            return sum(map(test, rows)) / len(rows)

        assert 0.15 <= share(lambda p: p["fsm"] == "true") <= 0.35
        assert 0.07 <= share(lambda p: p["sen_status"] == "K") <= 0.2
        assert share(lambda p: p["sen_status"] == "E") <= 0.08
        assert share(lambda p: p["cp_cin"] != "none" or p["looked_after"] == "true") <= 0.12

    def test_contacts_mix_channels_and_simulator_recipients(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """Mostly SMS, some email, a few letter-only; a few simulator recipients; PR first."""
        rows = read(small_la[0] / "contacts.csv")
        channels = Counter(r["preferred_channel"] for r in rows)
        assert channels["sms"] > channels["email"] > channels["letter"] > 0
        letters = [r for r in rows if r["preferred_channel"] == "letter"]
        assert all(r["mobile"] == r["email"] == "" for r in letters)
        assert any(r["mobile"].startswith("+447700900") for r in rows)
        assert any(r["email"].endswith("@simulator.invalid") for r in rows)
        assert all(r["parental_responsibility"] == "true" for r in rows if r["priority"] == "1")
        per_pupil = Counter(r["upn"] for r in rows)
        assert set(per_pupil.values()) == {1, 2, 3}


class TestMarks:
    def test_persistent_absence_is_about_a_fifth_when_measured(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """Roughly a fifth of pupils at or below 90 %, a few per cent at or below 50 %."""
        by_pupil = absence_by_pupil(read(small_la[0] / "marks.csv"))
        persistent = sum(a * 10 >= p for p, a in by_pupil.values()) / len(by_pupil)
        severe = sum(a * 2 >= p for p, a in by_pupil.values()) / len(by_pupil)
        overall = sum(a for _, a in by_pupil.values()) / sum(p for p, _ in by_pupil.values())
        assert 0.12 <= persistent <= 0.32
        assert 0.0 < severe <= 0.08
        assert 0.04 <= overall <= 0.12

    def test_every_pupil_has_a_mark_for_every_session_when_generated(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """One first version per pupil per session; INSET, half term and weekends have none."""
        marks = read(small_la[0] / "marks.csv")
        originals = [m for m in marks if m["recorded_at"] == ""]
        slots = Counter((m["upn"], m["date"], m["session"]) for m in originals)
        assert set(slots.values()) == {1}
        days = {date.fromisoformat(m["date"]) for m in originals}
        assert all(d.weekday() < 5 for d in days)
        assert {date(2025, 9, 1), date(2025, 9, 2), date(2025, 10, 28)}.isdisjoint(days)

    def test_register_shows_the_realistic_codes(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """Illness, appointments, holidays, lateness with minutes, and N amended later."""
        marks = read(small_la[0] / "marks.csv")
        codes = Counter(m["code"] for m in marks)
        assert {"/", "\\", "I", "M", "G", "L", "U", "N", "O"} <= set(codes)
        assert all(m["minutes_late"] for m in marks if m["code"] in ("L", "U"))
        amended = final_codes(marks)
        first = {(m["upn"], m["date"], m["session"]) for m in marks if m["code"] == "N"}
        assert any(amended[slot] in ("I", "O") for slot in first)
        assert any(amended[slot] == "N" for slot in first)

    def test_some_holidays_run_to_ten_sessions_or_more(
        self, small_la: tuple[Path, dict[str, int]]
    ) -> None:
        """Term-time holidays (G) include runs of 10+ sessions (the penalty threshold)."""
        marks = read(small_la[0] / "marks.csv")
        holiday = Counter(m["upn"] for m in marks if m["code"] == "G")
        assert max(holiday.values()) >= 10
