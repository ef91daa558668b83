"""The bench's cold PostgreSQL state (`bench.measure.settled(url, "cold")`): the database's files
leave the kernel's page cache, as a server short of memory would read them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import measure


def _resident_bytes(files: list[Path]) -> int:
    """Bytes of `files` in the page cache, as util-linux's fincore counts them (mincore); a file
    the server has removed since (its relation cache file, say) holds none."""
    present = [str(part) for part in files if part.exists()]
    out = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", *present],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(int(value) for value in out.split())


@pytest.mark.postgres
def test_a_cold_start_leaves_none_of_the_databases_files_in_the_page_cache(
    postgres_url: str,
) -> None:
    if shutil.which("fincore") is None:
        pytest.skip("util-linux's fincore is not installed: the page cache cannot be read")
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # some pages of our own, read back, so the cache holds them
        conn.exec_driver_sql(
            "CREATE TABLE filler AS "
            "SELECT n, repeat('x', 200) AS t FROM generate_series(1, 20000) AS n"
        )
        # Autovacuum would read the new table back into the cache at any moment.
        conn.exec_driver_sql("ALTER TABLE filler SET (autovacuum_enabled = false)")
        conn.exec_driver_sql("SELECT count(*) FROM filler").scalar_one()
    engine.dispose()
    files = measure.postgres_files(postgres_url)
    if files is None:
        pytest.skip("the server's data directory is not readable by this process")
    assert files
    assert all(part.is_file() for part in files)
    assert _resident_bytes(files) > 0

    measure.settled(postgres_url, "cold")

    assert _resident_bytes(files) == 0
