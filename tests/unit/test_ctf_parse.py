"""A CTF read into values and rows without a database: both mark encodings, the pupil's details,
contacts, the refusals (malformed XML, entity bombs, external entities) and the totals check."""

from __future__ import annotations

import time
from datetime import date

import pytest

from casework.core.imports.ctf import CtfProblem, parse_ctf
from casework.core.imports.ctf_marks import (
    SessionMark,
    decode_marks,
    encode_marks,
    totals_disagreement,
)
from casework.core.imports.ctf_rows import MarkSource, contact_rows, mark_rows, pupil_rows
from casework.core.imports.pupils import PupilRecord
from tests.support.ctf_files import (
    BOMB,
    EXTERNAL,
    NO_UPN,
    UPN_A,
    UPN_B,
    ctf,
    pupil_a,
    pupil_b,
    year,
)

D = date(2025, 9, 3)


def source(**changes: object) -> MarkSource:
    values: dict[str, object] = {
        "urn": "100001",
        "lea": "931",
        "estab": "4001",
        "skip": frozenset(),
        "stored_latest": {},
    }
    values.update(changes)
    return MarkSource(**values)  # type: ignore[arg-type]


class TestMarkEncodings:
    def test_plain_string_is_one_session_a_character_am_then_pm(self) -> None:
        """`/\\#N` from a Wednesday: Wed AM, Wed PM, (Thu AM no session), Thu PM."""
        assert decode_marks(D, "/\\#N") == [
            SessionMark(D, "AM", "/"),
            SessionMark(D, "PM", "\\"),
            SessionMark(date(2025, 9, 4), "PM", "N"),
        ]

    def test_comma_separated_form_carries_two_character_codes(self) -> None:
        decoded = decode_marks(D, "C1, Y2,#,#,J1,-")
        assert [(m.school_date.day, m.session, m.code) for m in decoded] == [
            (3, "AM", "C1"),
            (3, "PM", "Y2"),
            (5, "AM", "J1"),
        ]

    def test_encoding_round_trips_in_both_forms_when_codes_need_it(self) -> None:
        single = {(D, "AM"): "/", (date(2025, 9, 5), "PM"): "N"}
        double = {**single, (date(2025, 9, 4), "AM"): "C2"}
        assert encode_marks(D, date(2025, 9, 5), single) == "/####N"
        assert encode_marks(D, date(2025, 9, 5), double) == "/,#,C2,#,#,N"
        for marks in (single, double):
            text = encode_marks(D, date(2025, 9, 5), marks)
            assert {(m.school_date, m.session): m.code for m in decode_marks(D, text)} == marks

    def test_totals_that_disagree_with_the_marks_are_named(self) -> None:
        codes = ["/", "\\", "N", "H", "X"]  # 4 possible (X is not), 2 attended, H authorised
        stated = {"SessionsPossible": "5", "SessionsAttended": "2", "SessionsAuthorised": "1"}
        assert totals_disagreement(stated, codes) == ["SessionsPossible says 5, the marks give 4"]
        assert totals_disagreement({"SessionsPossible": "4"}, codes) == []


class TestParsing:
    def test_pupil_details_contacts_sen_and_looked_after_are_read(self) -> None:
        parsed = parse_ctf(ctf(pupil_a(), pupil_b()))
        assert (parsed.header.lea, parsed.header.urn, parsed.header.version) == (
            "931",
            "100001",
            "24.0",
        )
        first = parsed.pupils[0]
        assert (first.upn, first.in_care, first.sen_provision, first.medical_flag) == (
            UPN_A,
            "true",
            "E",  # the latest SEN entry, not the first
            "true",
        )
        assert first.address == "1, High St, Synthetown, ST1 1AA"
        assert [c.relationship for c in first.contacts] == ["PAM", "PAF"]
        assert first.years[0].marks == "/\\NNH#"
        assert parsed.pupils[1].years[0].marks == "/,\\,C1,Y2,J,F"

    def test_element_names_are_matched_without_regard_to_case(self) -> None:
        text = ctf(pupil_a()).decode().replace("<UPN>", "<upn>").replace("</UPN>", "</upn>")
        text = text.replace("CTFpupilData", "CTFPupilData").replace(
            "AttendanceMarks", "attendancemarks"
        )
        parsed = parse_ctf(text.encode())
        assert (parsed.pupils[0].upn, parsed.pupils[0].years[0].marks) == (UPN_A, "/\\NNH#")

    def test_malformed_xml_is_refused_with_its_position(self) -> None:
        with pytest.raises(CtfProblem, match=r"not well-formed XML \(line 3"):
            parse_ctf(b"<CTfile>\n<Header>\n</CTfile>")

    def test_entity_expansion_bomb_is_refused_quickly(self) -> None:
        started = time.perf_counter()
        with pytest.raises(CtfProblem, match="DTD or entities"):
            parse_ctf(BOMB)
        assert time.perf_counter() - started < 0.5

    def test_external_entity_is_refused_unread(self) -> None:
        with pytest.raises(CtfProblem, match="DTD or entities"):
            parse_ctf(EXTERNAL)

    def test_a_file_that_is_not_a_ctf_is_refused(self) -> None:
        with pytest.raises(CtfProblem, match="not CTfile"):
            parse_ctf(b"<html><body/></html>")


class TestRows:
    def test_pupil_row_carries_sen_looked_after_fsm_and_medical(self) -> None:
        table = pupil_rows(parse_ctf(ctf(pupil_a())), "100001", {})
        row = dict(zip(table.header, table.rows[0][1], strict=True))
        assert {k: row[k] for k in ("sen_status", "looked_after", "fsm", "medical_condition")} == {
            "sen_status": "E",
            "looked_after": "true",
            "fsm": "true",
            "medical_condition": "true",
        }
        assert (row["urn"], row["home_language"], table.rows[0][0]) == ("100001", "ENG", 1)

    def test_what_a_ctf_does_not_carry_is_kept_from_the_stored_pupil(self) -> None:
        stored = PupilRecord(
            UPN_A, "100001", "Sam", "Able", date(2014, 3, 14), "7", "E", True, True, True,
            False, "CP", "sw@example.org", None, True, "WBRI", "ENG", True,
        )  # fmt: skip
        table = pupil_rows(parse_ctf(ctf(pupil_a())), "100001", {UPN_A: stored})
        row = dict(zip(table.header, table.rows[0][1], strict=True))
        assert (row["pupil_premium"], row["cp_cin"], row["social_worker_email"]) == (
            "true",
            "CP",
            "sw@example.org",
        )

    def test_contacts_get_stable_ids_and_a_channel_they_can_be_reached_on(self) -> None:
        table = contact_rows(parse_ctf(ctf(pupil_a())), skip=set())
        rows = [dict(zip(table.header, fields, strict=True)) for _, fields in table.rows]
        assert [(r["contact_id"], r["preferred_channel"]) for r in rows] == [
            (f"{UPN_A}-1", "sms"),
            (f"{UPN_A}-2", "letter"),
        ]
        assert rows[1]["address"] == "1, High St, Synthetown, ST1 1AA"  # AddressAsPupil
        assert rows[0]["parental_responsibility"] == "true"

    def test_marks_of_both_encodings_become_mark_rows(self) -> None:
        found = mark_rows(parse_ctf(ctf(pupil_a(), pupil_b())), source())
        codes = [(fields[0], fields[4]) for _, fields in found.table.rows]
        assert codes.count((UPN_A, "N")) == 2
        assert [c for upn, c in codes if upn == UPN_B] == ["/", "\\", "C1", "Y2", "J", "F"]
        assert (found.errors, found.notes) == ([], [])

    def test_a_pupil_without_a_upn_brings_no_contacts_or_marks(self) -> None:
        parsed = parse_ctf(ctf(NO_UPN))
        assert pupil_rows(parsed, "100001", {}).rows[0][1][0] == ""
        left_out = mark_rows(parsed, source())
        assert left_out.table.rows == []
        assert left_out.notes == [
            "pupil 1: its contacts and marks were not imported, since the pupil was refused"
        ]

    def test_a_changed_mark_is_an_amendment_recorded_when_the_file_was_made(self) -> None:
        stored = {(UPN_A, D.isoformat(), "AM"): "/", (UPN_A, D.isoformat(), "PM"): "N"}
        found = mark_rows(parse_ctf(ctf(pupil_a())), source(stored_latest=stored))
        recorded = {(f[2], f[3]): f[6] for _, f in found.table.rows}
        assert recorded[(D.isoformat(), "AM")] == ""  # same code: the stored version stands
        assert recorded[(D.isoformat(), "PM")] == "2025-09-10T16:00:00"

    def test_a_year_without_a_start_date_is_one_rejected_row(self) -> None:
        bad = pupil_a().replace("<AttendanceStartDate>2025-09-03", "<AttendanceStartDate>03/09")
        found = mark_rows(parse_ctf(ctf(bad)), source())
        reason = (
            "AttendanceStartDate '03/09' is not a date (YYYY-MM-DD): its marks cannot be placed"
        )
        assert [(e.row_no, e.reason) for e in found.errors] == [(1, reason)]

    def test_another_schools_year_is_noted_and_left_out(self) -> None:
        other = pupil_a().replace(
            year("2025-09-03", "/\\NNH#"), year("2024-09-04", "//", estab="9")
        )
        found = mark_rows(parse_ctf(ctf(other)), source())
        assert found.table.rows == []
        assert found.notes == [
            f"pupil 1 ({UPN_A}), year 2025: attendance at establishment 931/9 not imported"
        ]

    def test_totals_disagreement_is_noted_and_the_marks_kept(self) -> None:
        totals = "<SessionsPossible>9</SessionsPossible>"
        found = mark_rows(parse_ctf(ctf(pupil_a(totals=totals))), source())
        assert len(found.table.rows) == 5
        assert found.notes == [
            f"pupil 1 ({UPN_A}), year 2025: SessionsPossible says 9, the marks give 5"
        ]
