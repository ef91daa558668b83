"""`pathway seed` also writes each school as one CTF: the same pupils and the latest version of
every mark the CSVs hold, and the same files for the same arguments."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from casework.core.imports.ctf import parse_ctf
from casework.core.imports.ctf_marks import decode_marks
from casework.seed import write_synthetic_la
from casework.seed.ctf import write_school_ctfs

SPAN = (date(2025, 9, 1), date(2025, 10, 17))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("la")
    write_synthetic_la(out, schools=2, pupils=120, start=SPAN[0], end=SPAN[1], seed=5)
    write_school_ctfs(out, out / "ctf", SPAN[1])
    return out


def latest_from_csv(path: Path) -> dict[tuple[str, str, str], str]:
    latest: dict[tuple[str, str, str], tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            slot = (row["upn"], row["date"], row["session"])
            if slot not in latest or row["recorded_at"] >= latest[slot][0]:
                latest[slot] = (row["recorded_at"], row["code"])
    return {slot: code for slot, (_, code) in latest.items()}


def test_each_school_is_one_ctf_holding_its_pupils(seeded: Path) -> None:
    with (seeded / "schools.csv").open() as handle:
        urns = [row["urn"] for row in csv.DictReader(handle)]
    files = sorted(p.stem for p in (seeded / "ctf").glob("*.xml"))
    assert files == sorted(urns)
    pupils = sum(len(parse_ctf(p.read_bytes()).pupils) for p in (seeded / "ctf").glob("*.xml"))
    assert pupils == 120


def test_the_ctfs_carry_the_latest_version_of_every_mark(seeded: Path) -> None:
    from_ctf: dict[tuple[str, str, str], str] = {}
    for path in (seeded / "ctf").glob("*.xml"):
        for pupil in parse_ctf(path.read_bytes()).pupils:
            for year in pupil.years:
                for mark in decode_marks(date.fromisoformat(year.start_date), year.marks):
                    from_ctf[(pupil.upn, mark.school_date.isoformat(), mark.session)] = mark.code
    assert from_ctf == latest_from_csv(seeded / "marks.csv")


def test_the_same_arguments_write_the_same_files(seeded: Path, tmp_path: Path) -> None:
    write_school_ctfs(seeded, tmp_path, SPAN[1])
    for path in (seeded / "ctf").glob("*.xml"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
