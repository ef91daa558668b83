"""Rows as the database driver gives them, for the reads a sweep makes in bulk.

A sweep reads hundreds of thousands of mark and tally rows in a large LA, and SQLAlchemy's
per-row processing was most of the cost of those reads. These helpers take the driver's tuples
and convert each column once per distinct value (dates and times repeat endlessly).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


def driver_rows(session: Session, query: sa.Executable) -> list[Any]:
    """Every row of `query` as the driver's tuple, unconverted."""
    result = session.execute(query)
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()


def as_date(value: date | str) -> date:
    # SQLite stores dates as text and gives them back so when read raw or through a CASE.
    return value if isinstance(value, date) else date.fromisoformat(value)


def memo_dates() -> Callable[[date | str], date]:
    """`as_date`, run once per distinct value."""
    seen: dict[date | str, date] = {}

    def cached(value: date | str) -> date:
        found = seen.get(value)
        if found is None:
            found = seen[value] = as_date(value)
        return found

    return cached


def memo_result(session: Session, column: sa.Column[Any]) -> Callable[[Any], Any]:
    """The column's own result conversion for this dialect, run once per distinct value."""
    dialect = session.get_bind().dialect
    convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value) if convert is not None else value
        return seen[value]

    return cached
