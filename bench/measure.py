"""The timed parts of `python -m bench`: one day's import, the AM sweep, its profile."""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from bench.la import vacuum_analyze
from casework.core.calendar import RegisterSession, academic_year_start
from casework.core.ladder.window import SHORT_WEEKS
from casework.core.measures import add_measures, measure
from casework.core.policy import load_policy
from casework.db.session import dispose_engines, get_engine, unit_of_work
from casework.db.snapshots import load_calendar, sweep_point
from casework.db.tables import School
from casework.db.weekly_tallies import refresh_tallies
from casework.db.year_totals import visible_window, year_prior
from casework.service.importing.files import import_file
from casework.service.sweeping.sweep import run_sweep, schools_to_sweep
from casework.settings import LONDON


def school_days(url: str) -> list[date]:
    """The first school's school days over the bench year (every seeded school shares them)."""
    engine = get_engine(url)
    with Session(engine) as db:
        urn = db.exec(select(School.urn).order_by(School.urn)).first()
        if urn is None:
            raise RuntimeError("the bench database has no schools")
        calendar = load_calendar(db, urn, date(2026, 1, 1))
        return calendar.school_days(date(2025, 8, 1), date(2026, 7, 31))


def settled(url: str, cache: str | None = None) -> None:
    """Start a timed part from the same disk and cache state whatever ran before it.

    First wait until what earlier steps wrote has reached the disk: copying the 10 GB database,
    or the catch-up sweep that writes a year's first decisions just before the daily sweep
    measured, leaves gigabytes of dirty pages, and the kernel makes the next writer wait while
    it flushes them (a sweep's commits took 4x as long right after a copy). Then read a SQLite
    database through once: this machine's host takes back page cache as it idles (50-250 MB a
    second, watched with `free`), so a sweep timed a minute after the copy (day 185, after its
    catch-up) read from the disk what one timed seconds after it (day 5) found in memory. In
    service the sweep before ran hours ago, and a database this size is kept in memory or not
    by the server's size, not by the day of the year. `cache` "cold" drops the database from
    the cache instead (a server short of memory); "as-is" leaves it as the step before left it;
    unset, BENCH_CACHE chooses (default warm).

    On PostgreSQL, run the VACUUM ANALYZE that autovacuum runs in the hours between two sweeps:
    timed at once after the catch-up's 325,000 new rows, the day-185 sweep shared the cores
    with autovacuum, set the new rows' hint bits and planned on stale statistics (9.4 s, 8.4 s
    after the vacuum, on the same copy state). "cold" then drops the database's files from the
    page cache (`postgres_files`).
    """
    os.sync()
    cache = cache or os.environ.get("BENCH_CACHE", "warm")
    if cache == "as-is":
        return
    if url.startswith("postgresql"):
        vacuum_analyze(url)
        if cache == "cold":
            files = postgres_files(url)
            if files is None:
                raise RuntimeError("cannot read PostgreSQL's data directory to drop it from cache")
            os.sync()
            for file in files:
                with contextlib.suppress(FileNotFoundError):  # removed by the server meanwhile
                    _drop_from_cache(str(file))
        return
    path = url.split("///", 1)[-1]
    if cache == "cold":  # every part read from the disk, as by a server short of memory
        for part in (path, f"{path}-wal"):
            if os.path.exists(part):
                _drop_from_cache(part)
        return
    with open(path, "rb", buffering=0) as db:
        while db.read(_CHUNK):
            pass


_CHUNK = 16 << 20


def postgres_files(url: str) -> list[Path] | None:
    """The files of the PostgreSQL database at `url`, its dirty buffers first written to them
    (CHECKPOINT), or None when this process cannot read them (another user, another host).

    Most of a server's cache is the kernel's page cache over these files: PostgreSQL's own
    shared buffers are 128 MB by default (`SHOW shared_buffers`), about 1% of the bench LA's
    database, and only a restart empties them.
    """
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            data = conn.exec_driver_sql("SHOW data_directory").scalar_one()
            oid = conn.exec_driver_sql(
                "SELECT oid FROM pg_database WHERE datname = current_database()"
            ).scalar_one()
            conn.exec_driver_sql("CHECKPOINT")
    finally:
        engine.dispose()
    folder = Path(data) / "base" / str(oid)
    if not os.access(folder, os.R_OK | os.X_OK):
        return None
    return sorted(part for part in folder.iterdir() if part.is_file())


def _drop_from_cache(path: str) -> None:
    """The file's pages out of the page cache (clean pages only: `settled` synced first)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _cpu_seconds() -> dict[str, float]:
    """The machine's CPU time so far by state (Linux /proc/stat; empty elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:6]
    except OSError:
        return {}
    user, nice, system, idle, iowait = (int(f) / os.sysconf("SC_CLK_TCK") for f in fields)
    return {"user": user + nice, "system": system, "idle": idle, "iowait": iowait}


def import_rate(url: str, day_file: Path, reports_dir: Path) -> dict[str, float]:
    """Import one day's marks into a copy of the year; rows a second."""
    engine = get_engine(url)
    settled(url)
    started = time.perf_counter()
    result = import_file(
        engine, "marks", day_file, reports_dir=reports_dir, tz=LONDON, now=datetime.now(UTC)
    )
    seconds = time.perf_counter() - started
    dispose_engines()
    return {
        "rows": float(result.accepted),
        "seconds": round(seconds, 3),
        "rows_per_s": round(result.accepted / seconds),
    }


def sweep(
    url: str,
    day: date,
    session: RegisterSession = RegisterSession.AM,
    workers: int = 0,
    cache: str | None = None,
) -> dict[str, float]:
    """One sweep of every school open that session (one process per core unless `workers`
    says); seconds, pupils, decisions, and the machine's CPU seconds meanwhile by state (user,
    system, idle, iowait). `cache`: as `settled`."""
    engine = get_engine(url)
    policy = load_policy()
    settled(url, cache)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    results = run_sweep(engine, day, session, policy=policy, now=datetime.now(UTC), workers=workers)
    seconds = time.perf_counter() - started
    cpu = {k: round(v - cpu_before[k], 2) for k, v in _cpu_seconds().items()}
    if any(r.skipped for r in results):
        raise RuntimeError(f"the bench database was already swept on {day} {session}")
    return {
        "seconds": round(seconds, 3),
        "schools": float(len(results)),
        "pupils": float(sum(r.pupils for r in results)),
        "decisions": float(sum(r.decisions for r in results)),
        **{f"machine_{state}_s": value for state, value in cpu.items()},
    }


def la_measures(url: str, day: date) -> dict[str, float]:
    """Every pupil's year-to-date measures on `day` (AM), school by school, as a sweep counts
    them (a short raw window and the weekly tallies behind it); seconds, pupils."""
    engine = get_engine(url)
    settled(url)
    started = time.perf_counter()
    pupils = persistent = 0
    year_start = academic_year_start(day)
    for urn in schools_to_sweep(engine, day, RegisterSession.AM):
        with unit_of_work(engine) as db:
            calendar = load_calendar(db, urn, day)
            school = db.get(School, urn)
            if school is None:
                continue
            on = sweep_point(school, day, RegisterSession.AM)
            since = calendar.school_week_start(day, SHORT_WEEKS)
            refresh_tallies(db, urn, since)
            window = visible_window(db, urn, since, on, None)
            priors, _ = year_prior(db, urn, year_start, since, on.at, None)
            for upn in set(window) | set(priors):
                found = measure(window.get(upn, []), since=year_start)
                prior = priors.get(upn)
                found = found if prior is None else add_measures(prior.measures, found)
                pupils += 1
                persistent += found.is_persistent
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "pupils": float(pupils),
        "persistent": float(persistent),
    }


def profiled_sweep(url: str, day: date, out: Path) -> str:
    """The AM sweep of `day` under pyinstrument; the text report (also written to `out`)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    sweep(url, day, workers=1)  # in this process, where the profiler can see it
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    out.write_text(text)
    out.with_suffix(".html").write_text(profiler.output_html())
    return text
