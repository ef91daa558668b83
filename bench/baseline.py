"""The physical-limit baseline: the sweep's arithmetic as one DuckDB query over the same marks.

Every pupil's year-to-date attendance % and unauthorised (G N O U) sessions in the last 10
school weeks, from the latest version of each mark. The marks are loaded from the CSVs first
(timed apart); the query is what the sweep is compared with.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb

from casework.core.codes import CODES, PENALTY, CodeClass

_ATTENDED = sorted(
    c for c, i in CODES.items() if i.klass in {CodeClass.PRESENT, CodeClass.EDUCATIONAL}
)
_POSSIBLE = sorted(c for c, i in CODES.items() if i.klass is not CodeClass.NOT_POSSIBLE)

QUERY = """
WITH latest AS (
    SELECT upn, date, session, arg_max(code, coalesce(recorded_at, '')) AS code
    FROM marks WHERE date <= $day
    GROUP BY upn, date, session
)
SELECT upn,
       100.0 * count(*) FILTER (WHERE list_contains($attended, code))
             / nullif(count(*) FILTER (WHERE list_contains($possible, code)), 0) AS percent,
       count(*) FILTER (WHERE date >= $since AND list_contains($penalty, code)) AS unauthorised
FROM latest
WHERE date >= $year_start
GROUP BY upn
"""


SCAN_QUERY = """
SELECT upn,
       100.0 * count(*) FILTER (WHERE list_contains($attended, code))
             / nullif(count(*) FILTER (WHERE list_contains($possible, code)), 0) AS percent,
       count(*) FILTER (WHERE date >= $since AND list_contains($penalty, code)) AS unauthorised
FROM marks
WHERE date >= $year_start AND date <= $day
GROUP BY upn
"""


def run(marks_files: list[Path], day: date, since: date, year_start: date) -> dict[str, float]:
    """Seconds to load the marks and to run the query; pupils in the answer."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    started = time.perf_counter()
    files = [str(p) for p in marks_files]
    con.execute(
        "CREATE TABLE marks AS SELECT * FROM read_csv($files, header = true, "
        "columns = {'upn': 'VARCHAR', 'urn': 'VARCHAR', 'date': 'DATE', 'session': 'VARCHAR', "
        "'code': 'VARCHAR', 'minutes_late': 'INTEGER', 'recorded_at': 'VARCHAR'})",
        {"files": files},
    )
    loaded = time.perf_counter()
    params = {
        "day": day,
        "since": since,
        "year_start": year_start,
        "attended": _ATTENDED,
        "possible": _POSSIBLE,
        "penalty": sorted(PENALTY),
    }
    rows = con.execute(QUERY, params).fetchall()
    done = time.perf_counter()
    # The same arithmetic taking every row as the mark (amendments ignored): a plain scan, the
    # floor under the exact query above.
    con.execute(SCAN_QUERY, params).fetchall()
    scanned = time.perf_counter()
    con.close()
    return {
        "load_s": round(loaded - started, 3),
        "query_s": round(done - loaded, 3),
        "scan_query_s": round(scanned - done, 3),
        "pupils": float(len(rows)),
    }
