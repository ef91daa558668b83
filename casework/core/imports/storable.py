"""Fields the database cannot store, found before they reach it, and rows made safe to quarantine.

PostgreSQL refuses a NUL character in text (and in JSONB), no database can encode a lone
surrogate, and a value far longer than any real name or address is a broken export, not data.
Such a row is rejected with a reason that names the column and the problem, never the value
(the reason reaches the report, the quarantine table and the audit trail), and the row's raw
values are made storable (replacement characters, shortened) before they are quarantined.
This module sits below `rows.py`, which applies it to every kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The longest value each column may hold, in characters; any other column: DEFAULT_MAX.
FIELD_MAX: Mapping[str, int] = {
    # upn, urn and the code columns are checked by their own parsers, which name the format.
    "contact_id": 40,
    "forename": 100,
    "surname": 100,
    "name": 200,
    "relationship": 50,
    "mobile": 32,
    "email": 254,  # RFC 5321's longest usable address
    "social_worker_email": 254,
    "yot_worker_email": 254,
    "address": 500,
    "ethnicity": 50,
    "home_language": 50,
}
DEFAULT_MAX = 200
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SHORTENED = "…"


def _problem(name: str, value: str) -> str | None:
    found = _UNSTORABLE.search(value)
    if found is not None:
        what = "a NUL character" if found.group() == "\x00" else "an invalid character"
        return f"{name} contains {what}, which cannot be stored"
    limit = FIELD_MAX.get(name, DEFAULT_MAX)
    if len(value) > limit:
        return f"{name} is {len(value)} characters long, more than the {limit} allowed"
    return None


def unstorable(raw: Mapping[str, str]) -> str | None:
    """Why a row cannot be stored as it is (the column and the problem, no value), or None."""
    for name, value in raw.items():
        problem = _problem(name, value)
        if problem is not None:
            return problem
    return None


def has_unstorable(fields: list[str]) -> bool:
    """A quick check of a whole row (marks: millions of rows) before the per-column one."""
    return _UNSTORABLE.search("".join(fields)) is not None or max(map(len, fields), default=0) > (
        DEFAULT_MAX
    )


def text_is_storable(text: str, longest_line: int) -> bool:
    """No field of a file read line by line (no quotes: a field is never longer than its line)
    can be unstorable: one search of the whole text instead of one per row."""
    return longest_line <= DEFAULT_MAX and _UNSTORABLE.search(text) is None


def storable_text(value: str, limit: int) -> str:
    """`value` with NUL and lone surrogates replaced and shortened to `limit` characters."""
    clean = _UNSTORABLE.sub("\ufffd", value)
    return clean if len(clean) <= limit else clean[: limit - 1] + _SHORTENED


def storable_raw(raw: Mapping[str, str]) -> dict[str, str]:
    """A rejected row's values, each made storable, for the quarantine and the report."""
    return {k: storable_text(v, FIELD_MAX.get(k, DEFAULT_MAX)) for k, v in raw.items()}
