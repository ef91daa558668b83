"""The benchmark LA: a deterministic synthetic LA generated once and cached under var/bench/.

The five CSVs come from casework.seed; the marks are split into one file a school day and
imported day by day, as an LA's registers arrive, and the last school day is held back as the
file whose import rate `python -m bench` measures. The imported databases (SQLite, and
PostgreSQL when reachable) are cached too: each measurement works on a copy.

Until 2026-12-05 the marks were split by month. The seed writes them pupil by pupil, so each
month's import put every school's days in among the other schools' page by page: a layout a
backfill gives, not an LA's daily import, and one on which a cold-cache sweep made more disk
reads (docs/decisions/0012). The layout is in the cache's name, so a cache of the old one is
not used.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext

from casework.db.database import open_database
from casework.db.migrate import VERSION_TABLE, upgrade
from casework.db.session import dispose_engines, get_engine, unit_of_work
from casework.db.weekly_tallies import refresh_all
from casework.seed import write_synthetic_la
from casework.service.importing.files import import_file
from casework.settings import LONDON, Settings

BENCH_DIR = Path("var/bench")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_PREFIX = "postgresql+psycopg://postgres@127.0.0.1:5432/"
FIRST_KINDS = ("schools", "calendar", "pupils", "contacts")
LAYOUT = "daily"  # one marks file a school day


@dataclass(frozen=True)
class BenchLA:
    pupils: int
    schools: int
    seed: int = 2025
    start: date = date(2025, 9, 1)
    end: date = date(2026, 7, 21)

    @property
    def folder(self) -> Path:
        return BENCH_DIR / f"la-{self.pupils}p-{self.schools}s-{LAYOUT}"

    @property
    def csv_dir(self) -> Path:
        return self.folder / "csv"

    @property
    def sqlite_path(self) -> Path:
        return self.folder / "pathway.db"

    @property
    def pg_name(self) -> str:
        return f"pathway_bench_{self.pupils}p_{self.schools}s_{LAYOUT}"

    def marks_files(self) -> list[Path]:
        return sorted(self.csv_dir.glob("marks_20*.csv"))

    @property
    def day_file(self) -> Path:
        return self.csv_dir / "marks_day.csv"


def _split_marks(la: BenchLA) -> dict[str, object]:
    """marks.csv -> one file a school day, the last school day's as marks_day.csv."""
    source = la.csv_dir / "marks.csv"
    with source.open(encoding="utf-8") as handle:
        header = handle.readline()
        last_day = max(line.split(",", 3)[2] for line in handle)
    outputs: dict[str, TextIO] = {}
    counts: dict[str, int] = {}
    with source.open(encoding="utf-8") as handle:
        handle.readline()
        for line in handle:
            day = line.split(",", 3)[2]
            name = "marks_day.csv" if day == last_day else f"marks_{day}.csv"
            out = outputs.get(name)
            if out is None:
                out = outputs[name] = (la.csv_dir / name).open("w", encoding="utf-8")
                out.write(header)
            out.write(line)
            counts[name] = counts.get(name, 0) + 1
    for out in outputs.values():
        out.close()
    source.unlink()
    return {"rows": counts, "import_day": last_day}


def generate(la: BenchLA) -> dict[str, object]:
    """Write the CSVs once; later runs reuse them."""
    done = la.csv_dir / "done.json"
    if done.exists():
        return dict(json.loads(done.read_text()))
    started = time.perf_counter()
    rows = write_synthetic_la(
        la.csv_dir, schools=la.schools, pupils=la.pupils, start=la.start, end=la.end, seed=la.seed
    )
    split = _split_marks(la)
    info = {"rows": rows, "split": split, "seconds": round(time.perf_counter() - started, 1)}
    done.write_text(json.dumps(info, indent=1))
    return info


def import_all(la: BenchLA, url: str, var_dir: Path) -> dict[str, float]:
    """Import the LA's CSVs (all but the held-back day) into the database at `url`."""
    engine = open_database(Settings(var_dir=var_dir, database_url=url))
    rows = 0
    started = time.perf_counter()
    paths = [la.csv_dir / f"{kind}.csv" for kind in FIRST_KINDS] + la.marks_files()
    for path in paths:
        kind = path.stem.split("_")[0]
        result = import_file(
            engine, kind, path, reports_dir=var_dir, tz=LONDON, now=datetime.now(UTC)
        )
        rows += result.accepted
        print(f"  imported {path.name}: {result.accepted} rows", flush=True)
    seconds = time.perf_counter() - started
    dispose_engines()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def cached_sqlite(la: BenchLA) -> dict[str, float]:
    """The imported SQLite database, built on first use."""
    done = la.folder / "sqlite.json"
    if done.exists():
        return dict(json.loads(done.read_text()))
    la.sqlite_path.unlink(missing_ok=True)
    info = import_all(la, f"sqlite:///{la.sqlite_path.resolve()}", la.folder)
    with sa.create_engine(f"sqlite:///{la.sqlite_path.resolve()}").connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("ANALYZE")
    done.write_text(json.dumps(info))
    return info


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        found = context.get_current_revision()
    engine.dispose()
    return found


def _analyze(url: str) -> None:
    if url.startswith("sqlite"):
        with sa.create_engine(url).connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
    else:
        vacuum_analyze(url)


def prepared(la: BenchLA, url: str, marker: str) -> dict[str, object]:
    """Bring a cached database to the current schema and count its weekly tallies, once."""
    done = la.folder / f"{marker}.json"
    info: dict[str, object] = json.loads(done.read_text()) if done.exists() else {}
    before = _revision(url)
    started = time.perf_counter()
    upgrade(url)
    if _revision(url) != before:
        info[f"migrate_{before}_s"] = round(time.perf_counter() - started, 1)
        dispose_engines()
        _analyze(url)
    if "refresh_s" not in info:
        started = time.perf_counter()
        with unit_of_work(get_engine(url)) as db:
            info["pupil_weeks"] = refresh_all(db)
        info["refresh_s"] = round(time.perf_counter() - started, 1)
        dispose_engines()
        _analyze(url)
    done.write_text(json.dumps(info))
    return info


def sqlite_copy(la: BenchLA, name: str) -> str:
    """A fresh copy of the cached SQLite database; its URL."""
    target = la.folder / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    source = sa.create_engine(f"sqlite:///{la.sqlite_path.resolve()}")
    with source.connect() as conn:  # the copy is of the file alone: fold the WAL into it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    source.dispose()
    shutil.copyfile(la.sqlite_path, target)
    return f"sqlite:///{target.resolve()}"


def drop_sqlite_copy(la: BenchLA, name: str) -> None:
    dispose_engines()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{la.folder / name}.db{suffix}").unlink(missing_ok=True)


def postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def _admin(sql: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def cached_postgres(la: BenchLA) -> dict[str, float]:
    """The imported PostgreSQL database `la.pg_name`, built on first use."""
    done = la.folder / "postgres.json"
    if done.exists():
        return dict(json.loads(done.read_text()))
    _admin(f'DROP DATABASE IF EXISTS "{la.pg_name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{la.pg_name}"')
    info = import_all(la, PG_PREFIX + la.pg_name, la.folder)
    vacuum_analyze(PG_PREFIX + la.pg_name)
    done.write_text(json.dumps(info))
    return info


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE the PostgreSQL database at `url`, as autovacuum would."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def postgres_copy(la: BenchLA, name: str) -> str:
    """A fresh copy of the cached PostgreSQL database (CREATE DATABASE ... TEMPLATE)."""
    dispose_engines()
    copy = f"{la.pg_name}_{name}"
    _admin(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{copy}" TEMPLATE "{la.pg_name}"')
    return PG_PREFIX + copy


def drop_postgres_copy(la: BenchLA, name: str) -> None:
    dispose_engines()
    _admin(f'DROP DATABASE IF EXISTS "{la.pg_name}_{name}" WITH (FORCE)')
