"""Marks profiles: loading and checking the TOML, and a school's long or wide export translated
into `marks.csv` rows, with an unmapped display code refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.core.imports.mark_profiles import ProfileProblem, parse_profile
from casework.core.imports.profiled_marks import Translated, translate
from casework.core.imports.rows import read_table
from casework.service.importing.profiled import SHIPPED, load_profile, shipped_profiles

UPN = "C931400125001"

LONG_EXPORT = f"""UPN,School URN,Date,Session,Mark,Minutes Late,Last Updated
{UPN},100001,03/09/2025,Morning,PRES,,
{UPN},100001,03/09/2025,Afternoon,L,12,03/09/2025 13:50
{UPN},100001,04/09/2025,AM,ZZ,,
{UPN},100001,05/09/2025,AM,#,,
{UPN},100001,31/09/2025,AM,/,,
"""

WIDE_EXPORT = f"""UPN,URN,Name,03/09/2025 AM,03/09/2025 PM,04/09/2025 AM,04/09/2025 PM
{UPN},100001,Sam Able,/,L:5,?,
"""


def translated(text: str, profile_name: str) -> Translated:
    found = translate(read_table(text), load_profile(profile_name))
    assert isinstance(found, Translated), found
    return found


class TestShippedProfiles:
    def test_a_long_and_a_wide_profile_ship_and_load(self) -> None:
        assert {"long-register", "wide-register"} <= set(shipped_profiles())
        for name in shipped_profiles():
            assert load_profile(name).layout in ("long", "wide")

    def test_a_profile_is_found_by_path_too(self, tmp_path: Path) -> None:
        path = tmp_path / "mine.toml"
        path.write_text((SHIPPED / "long-register.toml").read_text())
        assert load_profile(str(path)).name == "long-register"


class TestProfileChecks:
    def test_a_code_mapped_to_no_register_code_stops_the_profile(self) -> None:
        text = '[columns]\nupn="a"\nurn="b"\ndate="c"\nsession="d"\ncode="e"\n[codes]\nP="Q9"\n'
        with pytest.raises(ProfileProblem, match="maps 'P' to 'Q9'"):
            parse_profile(text, "bad")

    def test_a_long_profile_must_name_its_columns(self) -> None:
        with pytest.raises(ProfileProblem, match="must name: date, session, code"):
            parse_profile('[columns]\nupn="a"\nurn="b"\n[codes]\n"/"="/"\n', "bad")

    def test_a_wide_profile_needs_a_session_pattern_with_date_and_session(self) -> None:
        text = 'layout="wide"\n[columns]\nupn="a"\nurn="b"\n[codes]\n"/"="/"\n[wide]\n'
        with pytest.raises(ProfileProblem, match="session_column"):
            parse_profile(text + 'session_column="(?P<date>.*)"\n', "bad")


class TestLongLayout:
    def test_rows_are_translated_with_dates_sessions_codes_and_times(self) -> None:
        found = translated(LONG_EXPORT, "long-register")
        assert found.table.rows[:2] == [
            (2, [UPN, "100001", "2025-09-03", "AM", "/", "", ""]),
            (3, [UPN, "100001", "2025-09-03", "PM", "L", "12", "2025-09-03T13:50:00"]),
        ]
        assert len(found.table.rows) == 2  # "#" maps to no mark: left out, not refused

    def test_an_unmapped_code_and_a_bad_date_are_refused_naming_the_value(self) -> None:
        found = translated(LONG_EXPORT, "long-register")
        assert [(e.row_no, e.reason) for e in found.errors] == [
            (4, "code 'ZZ' is not mapped by profile long-register"),
            (6, "date '31/09/2025' does not match the profile's date format %d/%m/%Y"),
        ]

    def test_a_missing_column_refuses_the_file(self) -> None:
        found = translate(read_table("UPN,Date\n"), load_profile("long-register"))
        assert isinstance(found, str)
        assert "school urn" in found


class TestWideLayout:
    def test_each_session_column_is_a_mark_and_minutes_late_follow_the_colon(self) -> None:
        found = translated(WIDE_EXPORT, "wide-register")
        assert [fields for _, fields in found.table.rows] == [
            [UPN, "100001", "2025-09-03", "AM", "/", "", ""],
            [UPN, "100001", "2025-09-03", "PM", "L", "5", ""],
        ]

    def test_an_unmapped_cell_is_refused_naming_its_column_and_code(self) -> None:
        found = translated(WIDE_EXPORT, "wide-register")
        assert [(e.row_no, e.reason) for e in found.errors] == [
            (2, "column '04/09/2025 am': code '?' is not mapped by profile wide-register")
        ]
