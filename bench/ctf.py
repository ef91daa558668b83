"""The CTF import rate: one school's whole year as a common transfer file, imported into an
empty SQLite database that holds only the LA's schools and calendar.

The file is made once from the bench LA's cached CSVs (the first school: its pupils, contacts
and every mark of the year, the held-back day included) and kept under var/bench/. The rate is
the marks accepted over the whole import's time (XML parsing, pupils, contacts and marks).
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import la as bench_la
from casework.db.migrate import upgrade
from casework.db.session import dispose_engines, get_engine
from casework.seed.ctf import write_school_ctfs
from casework.service.importing.ctf import import_ctf
from casework.service.importing.files import import_file
from casework.settings import LONDON


def _school_csvs(la: bench_la.BenchLA, folder: Path) -> str:
    """The first school's rows of the LA's CSVs, marks grouped pupil by pupil; its URN."""
    folder.mkdir(parents=True, exist_ok=True)
    source = la.csv_dir
    header, first, *_ = (source / "schools.csv").read_text().splitlines()
    urn = first.split(",", 1)[0]
    (folder / "schools.csv").write_text(f"{header}\n{first}\n")
    pupil_lines = (source / "pupils.csv").read_text().splitlines()
    mine = [line for line in pupil_lines[1:] if line.split(",", 2)[1] == urn]
    (folder / "pupils.csv").write_text("\n".join([pupil_lines[0], *mine]) + "\n")
    order = {line.split(",", 1)[0]: n for n, line in enumerate(mine)}
    contact_lines = (source / "contacts.csv").read_text().splitlines()
    theirs = [line for line in contact_lines[1:] if line.split(",", 1)[0] in order]
    (folder / "contacts.csv").write_text("\n".join([contact_lines[0], *theirs]) + "\n")
    marks: list[str] = []
    for path in [*la.marks_files(), la.day_file]:
        with path.open(encoding="utf-8") as handle:
            next(handle)
            marks += [line for line in handle if line.split(",", 1)[0] in order]
    marks.sort(key=lambda line: order[line.split(",", 1)[0]])  # stable: dates stay in order
    with (folder / "marks.csv").open("w", encoding="utf-8") as handle:
        handle.write("upn,urn,date,session,code,minutes_late,recorded_at\n")
        handle.writelines(marks)
    return urn


def ctf_file(la: bench_la.BenchLA) -> Path:
    """The first school's CTF, written on first use."""
    folder = la.folder / "ctf"
    if not folder.exists():
        urn = _school_csvs(la, folder / "csv")
        write_school_ctfs(folder / "csv", folder, la.end)
        (folder / "school.txt").write_text(urn)
    return folder / f"{(folder / 'school.txt').read_text()}.xml"


def import_rate(la: bench_la.BenchLA) -> dict[str, float]:
    """Import the school's CTF into a fresh database; marks a second."""
    path = ctf_file(la)
    work = la.folder / "ctf-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    url = f"sqlite:///{(work / 'pathway.db').resolve()}"
    upgrade(url)
    engine = get_engine(url)
    now = datetime.now(UTC)
    for kind in ("schools", "calendar"):
        import_file(engine, kind, la.csv_dir / f"{kind}.csv", reports_dir=work, tz=LONDON, now=now)
    started = time.perf_counter()
    result = import_ctf(engine, path, reports_dir=work, tz=LONDON, now=now)
    seconds = time.perf_counter() - started
    dispose_engines()
    shutil.rmtree(work, ignore_errors=True)
    marks = result.parts[2].accepted if result.parts else 0
    return {
        "bytes": float(path.stat().st_size),
        "pupils": float(result.parts[0].accepted if result.parts else 0),
        "marks": float(marks),
        "rejected": float(result.rejected),
        "seconds": round(seconds, 3),
        "marks_per_s": round(marks / seconds),
    }


if __name__ == "__main__":
    # A quick look without the rest of the bench: python -m bench.ctf (sizes as BENCH_* say).
    import os

    size = bench_la.BenchLA(
        pupils=int(os.environ.get("BENCH_PUPILS", 10_000)),
        schools=int(os.environ.get("BENCH_SCHOOLS", 30)),
    )
    size.folder.mkdir(parents=True, exist_ok=True)
    bench_la.generate(size)
    print(import_rate(size))
