"""Register codes: every 2024 code's class, the legacy mapping, and what is not a code."""

from __future__ import annotations

import re

import pytest

from casework.core.codes import (
    CODES,
    GROUND_I,
    PENALTY,
    UNEXPLAINED,
    CodeClass,
    UnknownCode,
    code_info,
    normalise_code,
)

EXPECTED_CLASS = {
    "/": CodeClass.PRESENT,
    "\\": CodeClass.PRESENT,
    "L": CodeClass.PRESENT,
    "K": CodeClass.EDUCATIONAL,
    "V": CodeClass.EDUCATIONAL,
    "P": CodeClass.EDUCATIONAL,
    "W": CodeClass.EDUCATIONAL,
    "B": CodeClass.EDUCATIONAL,
    "C": CodeClass.AUTHORISED,
    "C1": CodeClass.AUTHORISED,
    "C2": CodeClass.AUTHORISED,
    "M": CodeClass.AUTHORISED,
    "J1": CodeClass.AUTHORISED,
    "S": CodeClass.AUTHORISED,
    "T": CodeClass.AUTHORISED,
    "R": CodeClass.AUTHORISED,
    "I": CodeClass.AUTHORISED,
    "E": CodeClass.AUTHORISED,
    "G": CodeClass.UNAUTHORISED,
    "N": CodeClass.UNAUTHORISED,
    "O": CodeClass.UNAUTHORISED,
    "U": CodeClass.UNAUTHORISED,
    "D": CodeClass.NOT_POSSIBLE,
    "Q": CodeClass.NOT_POSSIBLE,
    "X": CodeClass.NOT_POSSIBLE,
    "Y1": CodeClass.NOT_POSSIBLE,
    "Y2": CodeClass.NOT_POSSIBLE,
    "Y3": CodeClass.NOT_POSSIBLE,
    "Y4": CodeClass.NOT_POSSIBLE,
    "Y5": CodeClass.NOT_POSSIBLE,
    "Y6": CodeClass.NOT_POSSIBLE,
    "Y7": CodeClass.NOT_POSSIBLE,
    "Z": CodeClass.NOT_POSSIBLE,
    "#": CodeClass.NOT_POSSIBLE,
}


class TestCodeClasses:
    @pytest.mark.parametrize(("code", "klass"), sorted(EXPECTED_CLASS.items()))
    def test_code_has_its_statistical_class_when_looked_up(
        self, code: str, klass: CodeClass
    ) -> None:
        """Every 2024 code falls in the DfE statistical class DOMAIN.md rule 1 gives it."""
        info = code_info(code)
        assert info.klass is klass
        assert not info.legacy
        assert normalise_code(code) == (code, False)

    def test_catalogue_holds_exactly_the_2024_and_legacy_codes_when_listed(self) -> None:
        """The catalogue is the 2024 table plus the legacy H, F and Y, nothing else."""
        assert set(CODES) == set(EXPECTED_CLASS) | {"H", "F", "Y"}

    @pytest.mark.parametrize("code", ["D", "Q", "X", "Y1", "Y4", "Y7", "Z", "#"])
    def test_code_is_not_a_possible_session_when_it_is_administrative_or_unable(
        self, code: str
    ) -> None:
        """D, Q, X, Y1–Y7, Z and # are left out of possible sessions."""
        info = code_info(code)
        assert not info.is_possible
        assert not info.is_absence
        assert not info.is_attendance

    @pytest.mark.parametrize("code", ["/", "\\", "L", "K", "V", "P", "W", "B"])
    def test_code_counts_as_attendance_when_present_or_educational(self, code: str) -> None:
        """Present and approved educational activity codes both count as attending."""
        assert code_info(code).is_attendance
        assert code_info(code).is_possible


class TestCodeFlags:
    def test_only_n_and_o_are_unexplained_when_flagged(self) -> None:
        """N and O alone mean the reason for absence is not known."""
        assert {c for c, info in CODES.items() if info.is_unexplained} == UNEXPLAINED == {"N", "O"}

    def test_penalty_codes_are_g_n_o_u_when_flagged(self) -> None:
        """The penalty-notice threshold counts G, N, O and U sessions."""
        assert {c for c, info in CODES.items() if info.is_penalty_code} == PENALTY

    def test_ground_i_codes_exclude_u_when_flagged(self) -> None:
        """Deletion ground (i) counts G, N and O but not a late U."""
        assert {c for c, info in CODES.items() if info.is_ground_i} == GROUND_I == {"G", "N", "O"}

    def test_late_is_l_or_u_and_illness_is_i_when_flagged(self) -> None:
        """L (before close) and U (after close) are late; I alone is illness; G is holiday."""
        assert {c for c, info in CODES.items() if info.is_late} == {"L", "U"}
        assert {c for c, info in CODES.items() if info.is_illness} == {"I"}
        assert {c for c, info in CODES.items() if info.is_holiday_unauthorised} == {"G"}


class TestNormalise:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("J", ("J1", True)),
            ("H", ("H", True)),
            ("F", ("F", True)),
            ("Y", ("Y", True)),
            (" n ", ("N", False)),
            ("y3", ("Y3", False)),
            ("c1", ("C1", False)),
        ],
    )
    def test_raw_mark_is_canonical_when_normalised(
        self, raw: str, expected: tuple[str, bool]
    ) -> None:
        """Marks are trimmed and upper-cased; J becomes J1 and legacy codes are flagged."""
        assert normalise_code(raw) == expected

    @pytest.mark.parametrize(
        ("code", "klass"), [("H", "authorised_absence"), ("Y", "not_possible")]
    )
    def test_legacy_code_keeps_its_old_meaning_when_looked_up(self, code: str, klass: str) -> None:
        """H and F are old authorised holidays and plain Y is not a possible session."""
        assert code_info(code).klass == klass
        assert code_info(code).legacy

    def test_legacy_j_is_an_interview_when_looked_up(self) -> None:
        """A raw legacy J is read as the 2024 J1 interview leave."""
        assert code_info("J") == code_info("J1")

    @pytest.mark.parametrize("raw", ["-", "", "  ", " - "])
    def test_no_mark_is_rejected_when_normalised(self, raw: str) -> None:
        """The MIS placeholder `-` is a missing mark, not a code."""
        with pytest.raises(UnknownCode, match="no mark"):
            normalise_code(raw)

    @pytest.mark.parametrize("raw", ["A", "Y8", "J2", "//"])
    def test_unknown_code_is_named_when_rejected(self, raw: str) -> None:
        """An unknown code is refused with a message naming it."""
        with pytest.raises(UnknownCode, match=re.escape(repr(raw))):
            normalise_code(raw)
