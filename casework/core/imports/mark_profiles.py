"""Mapping profiles for schools' own marks exports: which column holds what, in TOML.

A profile names the columns of a long layout (one row per pupil and session) or a wide register
layout (one row per pupil, one column per session, found by a pattern over the header), the
date and time formats, the export's session labels, and the school's display codes mapped to
statutory register codes. Every mapped code is checked here, when the profile is loaded, so a
typo in a profile stops the import before any row is read. How to write one: docs/marks-profiles.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from casework.core.codes import UnknownCode, normalise_code

LAYOUTS = ("long", "wide")
LONG_COLUMNS = ("upn", "urn", "date", "session", "code")
OPTIONAL_COLUMNS = ("minutes_late", "recorded_at")


class ProfileProblem(ValueError):
    """The profile cannot be used; the message says which key is wrong."""


@dataclass(frozen=True, slots=True)
class MarksProfile:
    name: str
    layout: str
    columns: Mapping[str, str]  # our field -> the export's column name (lower case)
    date_format: str
    recorded_at_format: str | None
    urn: str | None  # every row's school, for an export without a URN column
    sessions: Mapping[str, str]  # the export's label (lower case) -> AM | PM
    codes: Mapping[str, str]  # display code -> statutory code ("" = not a mark, skipped)
    session_column: re.Pattern[str] | None  # wide: groups `date` and `session`
    minutes_separator: str | None  # wide: "L:12" -> L, 12 minutes late


def _table(data: Mapping[str, Any], key: str) -> dict[str, str]:
    found = data.get(key, {})
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise ProfileProblem(f"[{key}] must be a table of text values")
    return {str(k): v for k, v in found.items()}


def _text(data: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ProfileProblem(f"{key} must be text")
    return value


def _codes(codes: dict[str, str]) -> dict[str, str]:
    if not codes:
        raise ProfileProblem("[codes] is empty: map each display code to a register code")
    for shown, statutory in codes.items():
        if statutory == "":
            continue
        try:
            normalise_code(statutory)
        except UnknownCode:
            raise ProfileProblem(
                f"[codes] maps {shown!r} to {statutory!r}, which is not a register code"
            ) from None
    return codes


def _columns(layout: str, columns: dict[str, str], urn: str | None) -> dict[str, str]:
    needed = LONG_COLUMNS if layout == "long" else ("upn", "urn")
    missing = [n for n in needed if n not in columns and not (n == "urn" and urn)]
    if missing:
        raise ProfileProblem(f"[columns] must name: {', '.join(missing)}")
    return {field: name.strip().lower() for field, name in columns.items()}


def _sessions(sessions: dict[str, str]) -> dict[str, str]:
    found = {label.strip().lower(): value for label, value in sessions.items()}
    if any(value not in ("AM", "PM") for value in found.values()):
        raise ProfileProblem("[sessions] values must be AM or PM")
    return found or {"am": "AM", "pm": "PM"}


def _pattern(layout: str, wide: Mapping[str, Any]) -> re.Pattern[str] | None:
    if layout != "wide":
        return None
    text = _text(wide, "session_column")
    if not text:
        raise ProfileProblem("a wide profile needs [wide] session_column, a pattern")
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ProfileProblem(f"[wide] session_column is not a valid pattern: {exc}") from None
    if not {"date", "session"} <= set(pattern.groupindex):
        raise ProfileProblem("[wide] session_column needs the groups (?P<date>) and (?P<session>)")
    return pattern


def parse_profile(text: str, name: str) -> MarksProfile:
    """The profile in `text` (TOML), checked; raises ProfileProblem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileProblem(f"profile {name} is not valid TOML: {exc}") from None
    layout = _text(data, "layout", "long")
    if layout not in LAYOUTS:
        raise ProfileProblem(f"layout must be long or wide, not {layout!r}")
    urn = _text(data, "urn")
    wide = data.get("wide", {})
    return MarksProfile(
        name=_text(data, "name", name) or name,
        layout=layout,
        columns=_columns(layout, _table(data, "columns"), urn),
        date_format=_text(data, "date_format", "%Y-%m-%d") or "%Y-%m-%d",
        recorded_at_format=_text(data, "recorded_at_format"),
        urn=urn,
        sessions=_sessions(_table(data, "sessions")),
        codes=_codes(_table(data, "codes")),
        session_column=_pattern(layout, wide if isinstance(wide, dict) else {}),
        minutes_separator=_text(wide, "minutes_separator") if isinstance(wide, dict) else None,
    )
