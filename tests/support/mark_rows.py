"""Mark versions as rows, for tests that write marks straight to the database."""

from __future__ import annotations

from datetime import date, datetime

from casework.db.tables import Mark
from tests.support.outbox_data import URN


def mark_row(upn: str, day: date, session: str, code: str, at: datetime) -> Mark:
    """A version of `upn`'s mark for that session at the test school, recorded `at`."""
    return Mark(
        upn=upn,
        urn=URN,
        school_date=day,
        session=session,
        code=code,
        original_code=code,
        minutes_late=10 if code in ("L", "U") else None,
        recorded_at=at,
    )
