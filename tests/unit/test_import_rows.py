"""CSV import rows, validated without a database: what each kind accepts, rejects, and why."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.gb.upn import calc_check_digit

from casework.core.imports import calendar, contacts, marks, pupils, schools
from casework.core.imports.calendar import CalendarRecord
from casework.core.imports.identifiers import normalise_email, normalise_mobile, upn_problem
from casework.core.imports.rows import (
    CsvTable,
    RowError,
    RowProblem,
    Validated,
    _csv_records,
    _table,
    header_problem,
    read_table,
)

LONDON = ZoneInfo("Europe/London")
URN = "100001"
UPN = "C931400125001"  # valid: check letter C for 931400125001
OTHER_UPN = "Y931400125006"
TODAY = date(2025, 9, 1)


def table(*lines: str) -> CsvTable:
    return read_table("\n".join(lines) + "\n")


def reasons(errors: list[RowError]) -> dict[int, str]:
    return {e.row_no: e.reason for e in errors}


class TestReadingFiles:
    def test_row_numbers_count_the_header_as_line_1_when_reading(self) -> None:
        """Row numbers are the lines a person sees: header 1, first data row 2, blanks counted."""
        found = read_table('a,b\n1,2\n\n3,"multi\nline"\n4,5\n')
        assert [n for n, _ in found.rows] == [2, 4, 6]

    def test_windows_line_endings_are_read_when_present(self) -> None:
        """Files saved on Windows (CRLF) read the same, with the same row numbers."""
        found = read_table("a,b\r\n1,2\r\n3,4\r\n")
        assert found.rows == [(2, ["1", "2"]), (3, ["3", "4"])]

    @given(
        st.one_of(
            st.text(alphabet="ab ,\n\r\u2028\x1c", max_size=60),  # mostly the split path
            st.text(alphabet='ab ,\n\r"\x00', max_size=60),
        )
    )
    def test_any_text_is_read_as_the_csv_module_reads_it(self, text: str) -> None:
        """The split-by-line path (files without quotes) gives the csv module's rows, row
        numbers and blank-line skipping; text it cannot take goes to the csv module itself."""
        try:
            expected = _table(_csv_records(text))  # the csv module's reading
        except csv.Error:
            with pytest.raises(csv.Error):
                read_table(text)
            return
        found = read_table(text)
        assert (found.header, found.rows) == (expected.header, expected.rows)

    def test_missing_columns_are_named_when_the_header_lacks_them(self) -> None:
        """A header without required columns is refused, naming every missing one."""
        problem = header_problem(("upn", "urn", "date"), marks.COLUMNS)
        assert problem == (
            "header is missing required column(s): session, code, minutes_late, recorded_at"
        )

    def test_an_empty_file_is_refused_when_it_has_no_header(self) -> None:
        """No header row at all is a refusal, not an import of nothing."""
        assert header_problem(read_table("").header, schools.COLUMNS) is not None

    def test_extra_columns_are_ignored_when_present(self) -> None:
        """Columns beyond the contract do not stop a row being imported."""
        found = schools.validate_schools(
            table(
                "urn,name,la_code,phase,am_register_closes,pm_register_closes,notes",
                f"{URN},School,931,primary,08:55,13:15,anything",
            ),
            {},
        )
        assert len(found.fresh) == 1
        assert not found.errors

    def test_a_row_with_more_fields_than_the_header_is_rejected(self) -> None:
        """An unquoted comma in a value shifts every field: the row is refused, not guessed at."""
        found = schools.validate_schools(
            table(
                "urn,name,la_code,phase,am_register_closes,pm_register_closes",
                f"{URN},School, Town,931,primary,08:55,13:15",
            ),
            {},
        )
        assert reasons(found.errors) == {2: "row has 7 fields, more than the header's 6"}


SCHOOL_HEADER = "urn,name,la_code,phase,am_register_closes,pm_register_closes"


class TestSchools:
    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            (f"{URN},S,931,primary,9am,13:15", "am_register_closes '9am' is not a time (HH:MM)"),
            (
                f"{URN},S,931,primary,13:15,09:00",
                "am_register_closes must be earlier than pm_register_closes",
            ),
            (f"{URN},S,931,college,08:55,13:15", "phase must be one of"),
            ("12AB,S,931,primary,08:55,13:15", "urn must be 6 to 8 digits, not '12AB'"),
            (f"{URN},S,93,primary,08:55,13:15", "la_code must be 3 digits, not '93'"),
            (f"{URN},,931,primary,08:55,13:15", "name is required"),
        ],
    )
    def test_school_row_is_rejected_when_a_field_is_wrong(self, row: str, reason: str) -> None:
        """Each malformed school row is refused with a reason naming the field."""
        found = schools.validate_schools(table(SCHOOL_HEADER, row), {})
        assert found.errors[0].reason.startswith(reason)
        assert found.errors[0].row_no == 2

    def test_school_is_unchanged_when_equal_to_the_stored_one(self) -> None:
        """A school already stored with the same values is counted unchanged, not rewritten."""
        stored = schools.SchoolRecord(URN, "S", "931", "primary", time(8, 55), time(13, 15))
        found = schools.validate_schools(
            table(SCHOOL_HEADER, f"{URN},S,931,primary,08:55,13:15"), {URN: stored}
        )
        assert (found.fresh, found.unchanged) == ([], 1)

    def test_second_row_for_a_school_is_rejected_when_duplicated(self) -> None:
        """The same school twice in one file: the second row names the first."""
        row = f"{URN},S,931,primary,08:55,13:15"
        found = schools.validate_schools(table(SCHOOL_HEADER, row, row), {})
        assert reasons(found.errors) == {3: "duplicate of row 2"}


CALENDAR_HEADER = "urn,date,sessions,kind"


class TestCalendar:
    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            (",2025-02-30,,term_start", "date '2025-02-30' is not a real date (YYYY-MM-DD)"),
            (",2025-09-03,ALL,term_start", "sessions must be blank for term_start"),
            (",2025-09-03,,inset", "sessions must be AM, PM or ALL for inset, not ''"),
            (",2025-09-03,EVE,closed", "sessions must be AM, PM or ALL for closed, not 'EVE'"),
            ("999999,2025-09-03,ALL,closed", "unknown school urn 999999"),
            (",2025-09-03,,holiday", "kind must be one of term_start, term_end, closed, inset"),
        ],
    )
    def test_calendar_row_is_rejected_when_a_field_is_wrong(self, row: str, reason: str) -> None:
        """Closures need their sessions, term rows must not have any, schools must be known."""
        found = calendar.validate_calendar(table(CALENDAR_HEADER, row), {URN}, set())
        assert found.errors[0].row_no == 2
        assert found.errors[0].reason.startswith(reason)

    def test_la_wide_and_school_rows_are_accepted_when_valid(self) -> None:
        """A blank urn means every school of the LA; a known urn means that school."""
        found = calendar.validate_calendar(
            table(CALENDAR_HEADER, ",2025-09-03,,term_start", f"{URN},2025-10-01,PM,closed"),
            {URN},
            {CalendarRecord("", date(2025, 9, 3), "", "term_start")},
        )
        assert found.unchanged == 1
        assert found.fresh == [CalendarRecord(URN, date(2025, 10, 1), "PM", "closed")]


PUPIL_HEADER = ",".join(pupils.COLUMNS)


def pupil_row(**changes: str) -> str:
    values = {
        "upn": UPN, "urn": URN, "forename": "Sam", "surname": "Able",
        "date_of_birth": "2014-03-14", "year_group": "7", "sen_status": "N", "fsm": "false",
        "pupil_premium": "false", "looked_after": "false", "previously_looked_after": "false",
        "cp_cin": "none", "social_worker_email": "", "young_carer": "false", "ethnicity": "WBRI",
        "home_language": "ENG",
    }  # fmt: skip
    values.update(changes)
    return ",".join(values[c] for c in pupils.COLUMNS)


class TestPupils:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"upn": "A931400125001"}, "UPN check letter is wrong"),
            ({"upn": "C93140012500"}, "UPN must be 13 characters"),
            ({"upn": "C000400125001"}, "UPN does not carry a known LA number in positions 2-4"),
            ({"fsm": "yes"}, "fsm must be true or false, not 'yes'"),
            ({"sen_status": "S"}, "sen_status must be one of N, K, E, not 'S'"),
            ({"cp_cin": "cp"}, "cp_cin must be one of none, CIN, CP, not 'cp'"),
            ({"urn": "100002"}, "unknown school urn 100002"),
            ({"date_of_birth": "14/03/2014"}, "date_of_birth '14/03/2014' is not a real date"),
            ({"date_of_birth": "2026-01-01"}, "date_of_birth must be in the past"),
            ({"year_group": "15"}, "year_group must be N1, N2, R or 1-14, not '15'"),
            ({"social_worker_email": "sw at la"}, "social_worker_email is not a valid email"),
        ],
    )
    def test_pupil_row_is_rejected_when_a_field_is_wrong(
        self, changes: dict[str, str], reason: str
    ) -> None:
        """Each malformed pupil row is refused with a reason naming the field."""
        found = pupils.validate_pupils(table(PUPIL_HEADER, pupil_row(**changes)), {URN}, {}, TODAY)
        assert found.errors[0].reason.startswith(reason)

    def test_optional_columns_keep_stored_values_when_the_file_leaves_them_out(self) -> None:
        """A file without yot_worker_email says nothing about it: the stored value stays."""
        first = pupils.validate_pupils(
            table(
                PUPIL_HEADER + ",yot_worker_email,medical_condition",
                pupil_row() + ",Yot.Worker@Example.org,true",
            ),
            {URN},
            {},
            TODAY,
        ).fresh[0]
        assert (first.yot_worker_email, first.medical_condition) == ("Yot.Worker@example.org", True)
        again = pupils.validate_pupils(table(PUPIL_HEADER, pupil_row()), {URN}, {UPN: first}, TODAY)
        assert (again.unchanged, again.fresh) == (1, [])

    def test_pupil_is_updated_when_a_value_changed(self) -> None:
        """A changed flag makes the pupil fresh (an update), not unchanged."""
        first = pupils.validate_pupils(table(PUPIL_HEADER, pupil_row()), {URN}, {}, TODAY).fresh[0]
        changed = pupils.validate_pupils(
            table(PUPIL_HEADER, pupil_row(fsm="true")), {URN}, {UPN: first}, TODAY
        )
        assert changed.fresh[0].fsm is True


CONTACT_HEADER = ",".join(contacts.COLUMNS)


def contact_row(**changes: str) -> str:
    values = {
        "upn": UPN, "contact_id": "c1", "name": "Alex Able", "relationship": "mother",
        "parental_responsibility": "true", "priority": "1", "mobile": "07911 125001",
        "email": "Alex@Example.ORG", "preferred_channel": "sms", "language": "en",
        "address": "1 High St",
    }  # fmt: skip
    values.update(changes)
    return ",".join(values[c] for c in contacts.COLUMNS)


class TestContacts:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"mobile": "07911 12"}, "mobile is not a valid phone number"),
            ({"mobile": "not a number"}, "mobile is not a phone number"),
            ({"mobile": "07700 901000"}, "mobile is not a valid phone number"),
            ({"email": "alex@"}, "email is not a valid email address"),
            ({"email": "alex@localhost.invalid"}, "email is not a valid email address"),
            ({"upn": OTHER_UPN}, "unknown pupil: no pupil with this upn has been imported"),
            ({"parental_responsibility": "yes"}, "parental_responsibility must be true or false"),
            ({"priority": "0"}, "priority must be at least 1, not 0"),
            ({"preferred_channel": "fax"}, "preferred_channel must be one of sms, email, letter"),
            ({"mobile": ""}, "preferred_channel is sms but mobile is blank"),
            ({"preferred_channel": "letter", "address": ""}, "preferred_channel is letter but"),
            ({"language": "english"}, "language must be an ISO 639-1 code"),
        ],
    )
    def test_contact_row_is_rejected_when_a_field_is_wrong(
        self, changes: dict[str, str], reason: str
    ) -> None:
        """Each malformed contact row is refused with a reason naming the field."""
        found = contacts.validate_contacts(table(CONTACT_HEADER, contact_row(**changes)), {UPN}, {})
        assert found.errors[0].reason.startswith(reason)

    def test_contact_is_stored_normalised_when_valid(self) -> None:
        """Phones are stored in E.164 and emails as email-validator normalises them."""
        record = contacts.validate_contacts(table(CONTACT_HEADER, contact_row()), {UPN}, {}).fresh[
            0
        ]
        assert (record.mobile, record.email) == ("+447911125001", "Alex@example.org")

    def test_letter_only_contact_is_accepted_when_it_has_no_mobile_or_email(self) -> None:
        """Some families are reached only by post: blank mobile and email are fine for letter."""
        row = contact_row(mobile="", email="", preferred_channel="letter")
        found = contacts.validate_contacts(table(CONTACT_HEADER, row), {UPN}, {})
        assert found.fresh[0].mobile is None
        assert not found.errors

    def test_duplicate_contact_id_is_rejected_when_repeated_in_a_file(self) -> None:
        """Two rows with one contact_id: the second names the first."""
        found = contacts.validate_contacts(
            table(CONTACT_HEADER, contact_row(), contact_row(name="Jo Able")), {UPN}, {}
        )
        assert reasons(found.errors) == {3: "duplicate of row 2"}


class TestSimulatorRecipients:
    def test_drama_numbers_are_accepted_as_a_named_exception(self) -> None:
        """Ofcom's 07700 900xxx drama range is not a valid number, yet reaches the simulator."""
        assert normalise_mobile("07700 900123") == "+447700900123"
        assert normalise_mobile("+447700900999") == "+447700900999"

    def test_other_invalid_numbers_stay_refused_when_near_the_drama_range(self) -> None:
        """The exception is the drama range only; its neighbours are still invalid."""
        with pytest.raises(RowProblem):
            normalise_mobile("+447700901000")

    def test_simulator_emails_are_accepted_with_the_mailbox_still_checked(self) -> None:
        """@simulator.invalid is reserved, so email-validator refuses it; we name the exception."""
        assert normalise_email("Delivered+1@Simulator.Invalid") == "Delivered+1@simulator.invalid"
        with pytest.raises(RowProblem):
            normalise_email("two..dots@simulator.invalid")


MARK_HEADER = ",".join(marks.COLUMNS)
CLOSES = {URN: (time(9, 15), time(13, 45))}


def mark_context(
    existing: dict[marks.MarkKey, marks.StoredMark] | None = None,
) -> marks.MarkContext:
    return marks.MarkContext(
        pupil_schools={UPN: URN, OTHER_UPN: "100002"},
        close_times={**CLOSES, "100002": (time(9, 0), time(13, 0))},
        existing=existing or {},
        tz=LONDON,
    )


def validate_marks(
    *rows: str, existing: dict[marks.MarkKey, marks.StoredMark] | None = None
) -> Validated[marks.MarkRecord]:
    return marks.validate_marks(table(MARK_HEADER, *rows), mark_context(existing))


class TestMarks:
    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            (f"{UPN},{URN},2025-09-03,AM,ZZ,,", "unknown register code 'ZZ'"),
            (f"{UPN},{URN},2025-09-03,AM,-,,", "'-' is no mark, not a code"),
            (f"{UPN},{URN},2025-09-31,AM,/,,", "date '2025-09-31' is not a real date (YYYY-MM-DD)"),
            (f"{UPN},{URN},03/09/2025,AM,/,,", "date '03/09/2025' is not a real date (YYYY-MM-DD)"),
            (f"{UPN},{URN},2025-09-03,EV,/,,", "session must be AM or PM, not 'EV'"),
            (f"A931400125001,{URN},2025-09-03,AM,/,,", "UPN check letter is wrong"),
            (f"B931400125010,{URN},2025-09-03,AM,/,,", "unknown pupil: no pupil with this upn"),
            (f"{UPN},999999,2025-09-03,AM,/,,", "unknown school urn '999999'"),
            (f"{OTHER_UPN},{URN},2025-09-03,AM,/,,", "pupil is on the roll of school 100002"),
            (f"{UPN},{URN},2025-09-03,AM,L,-5,", "minutes_late must be 0 or more, not -5"),
            (f"{UPN},{URN},2025-09-03,AM,L,ten,", "minutes_late must be a whole number"),
            (f"{UPN},{URN},2025-09-03,AM,/,5,", "minutes_late is only meaningful for L and U"),
            (f"{UPN},{URN},2025-09-03,AM,/,,yesterday", "recorded_at 'yesterday' is not an ISO"),
        ],
    )
    def test_mark_row_is_rejected_when_a_field_is_wrong(self, row: str, reason: str) -> None:
        """Each malformed mark is refused with a reason naming what is wrong."""
        found = validate_marks(row)
        assert found.errors[0].reason.startswith(reason), found.errors
        assert found.errors[0].row_no == 2
        assert not found.fresh

    @pytest.mark.parametrize(
        ("day", "session", "expected"),
        [
            ("2025-09-03", "AM", datetime(2025, 9, 3, 8, 15, tzinfo=UTC)),  # BST
            ("2025-12-03", "PM", datetime(2025, 12, 3, 13, 45, tzinfo=UTC)),  # GMT
        ],
    )
    def test_blank_recorded_at_is_the_register_close_when_not_given(
        self, day: str, session: str, expected: datetime
    ) -> None:
        """A blank recorded_at is the close time of that session's register, Europe/London."""
        mark = validate_marks(f"{UPN},{URN},{day},{session},/,,").fresh[0]
        assert mark.recorded_at == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2025-09-04T10:30:00", datetime(2025, 9, 4, 9, 30, tzinfo=UTC)),  # local BST
            ("2025-09-04T10:30:00+00:00", datetime(2025, 9, 4, 10, 30, tzinfo=UTC)),
            ("2025-09-04T10:30:00Z", datetime(2025, 9, 4, 10, 30, tzinfo=UTC)),
        ],
    )
    def test_recorded_at_offset_is_respected_when_given(
        self, text: str, expected: datetime
    ) -> None:
        """recorded_at without an offset is London time; with one, that offset."""
        assert (
            validate_marks(f"{UPN},{URN},2025-09-03,AM,I,,{text}").fresh[0].recorded_at == expected
        )

    def test_legacy_codes_keep_their_original_when_mapped(self) -> None:
        """Pre-2024 codes are accepted: J is stored as J1, H as itself, each with its original."""
        found = validate_marks(f"{UPN},{URN},2025-09-03,AM,J,,", f"{UPN},{URN},2025-09-03,PM,H,,")
        assert [(m.code, m.original_code) for m in found.fresh] == [("J1", "J"), ("H", "H")]

    def test_minutes_late_are_kept_for_late_codes(self) -> None:
        """L and U carry minutes late; 0 on another code is simply no minutes."""
        found = validate_marks(
            f"{UPN},{URN},2025-09-03,AM,L,12,", f"{UPN},{URN},2025-09-03,PM,/,0,"
        )
        assert [m.minutes_late for m in found.fresh] == [12, None]

    @pytest.mark.parametrize(
        ("bad", "reason"),
        [
            ("x" * 300, "minutes_late is 300 characters long, more than the 200 allowed"),
            ("\ud800", "minutes_late contains an invalid character, which cannot be stored"),
        ],
    )
    def test_an_unstorable_mark_is_rejected_and_the_rest_go_in(self, bad: str, reason: str) -> None:
        """A file read line by line is checked for unstorable values once, as a whole; a row
        that has one is still refused on its own, naming the column, and the others go in."""
        found = validate_marks(
            f"{UPN},{URN},2025-09-03,AM,/,,", f"{UPN},{URN},2025-09-03,PM,L,{bad},"
        )
        assert reasons(found.errors) == {3: reason}
        assert [m.session for m in found.fresh] == ["AM"]

    def test_a_plain_marks_file_is_known_storable_once_read(self) -> None:
        """The whole-text check that lets the marks check skip its row-by-row one."""
        assert table(MARK_HEADER, f"{UPN},{URN},2025-09-03,AM,/,,").all_storable
        assert not table(MARK_HEADER, f"{UPN},{URN},2025-09-03,AM,/,{'9' * 201},").all_storable

    def test_duplicate_mark_is_rejected_when_repeated_in_a_file(self) -> None:
        """The same version twice (blank recorded_at equals the close time) names the first row."""
        found = validate_marks(
            f"{UPN},{URN},2025-09-03,AM,/,,",
            f"{UPN},{URN},2025-09-03,AM,/,,2025-09-03T09:15:00",
        )
        assert reasons(found.errors) == {3: "duplicate of row 2"}

    def test_amendment_is_new_when_recorded_later(self) -> None:
        """A later recorded_at for the same slot is a new version: both are kept."""
        found = validate_marks(
            f"{UPN},{URN},2025-09-03,AM,N,,",
            f"{UPN},{URN},2025-09-03,AM,I,,2025-09-04T10:00:00",
        )
        assert [m.code for m in found.fresh] == ["N", "I"]
        assert not found.errors

    def test_stored_version_is_unchanged_or_a_conflict_by_its_code(self) -> None:
        """The same version already stored: same code is unchanged, another code a conflict."""
        close = datetime(2025, 9, 3, 8, 15, tzinfo=UTC)
        stored: dict[marks.MarkKey, marks.StoredMark] = {
            (UPN, date(2025, 9, 3), "AM", close): ("N", None),
            (UPN, date(2025, 9, 3), "PM", close.replace(hour=12, minute=45)): ("N", None),
        }
        found = validate_marks(
            f"{UPN},{URN},2025-09-03,AM,N,,", f"{UPN},{URN},2025-09-03,PM,O,,", existing=stored
        )
        assert found.unchanged == 1
        assert not found.fresh
        assert found.errors[0].row_no == 3
        assert found.errors[0].reason.startswith("conflicts with the stored mark N")

    def test_parts_judge_each_row_against_every_row_before_it(self) -> None:
        """Checked two rows at a time: the repeat in the third part names row 2 of the first,
        each part holds only its own rows, and together they are the whole file's result."""
        rows = (
            f"{UPN},{URN},2025-09-03,AM,/,,",
            f"{UPN},{URN},2025-09-03,PM,/,,",
            f"{UPN},{URN},2025-09-04,AM,N,,",
            "not,enough,fields",
            f"{UPN},{URN},2025-09-03,AM,/,,",
        )
        parts = list(marks.validated_in_parts(table(MARK_HEADER, *rows), mark_context(), 2))
        whole = validate_marks(*rows)

        assert [(len(p.fresh), len(p.errors)) for p in parts] == [(2, 0), (1, 1), (0, 1)]
        assert reasons(parts[2].errors) == {6: "duplicate of row 2"}
        assert [m for p in parts for m in p.fresh] == whole.fresh
        assert [e for p in parts for e in p.errors] == whole.errors


class TestUpn:
    def test_generated_check_letters_validate_when_computed_by_stdnum(self) -> None:
        """A UPN built with stdnum's check letter passes; any other letter fails (rule 31)."""
        body = "931400125042"
        good = calc_check_digit(body) + body
        assert upn_problem(good) is None
        wrong = next(c for c in "ABCDEFGHJK" if c != good[0]) + body
        assert upn_problem(wrong) == "UPN check letter is wrong"

    @pytest.mark.parametrize("la", ["838", "839", "940", "941", "942", "943"])
    def test_upns_of_the_las_created_since_2019_are_accepted(self, la: str) -> None:
        """Fix 8 / rule 31: stdnum's LA list predates them (e.g. N839200124001)."""
        body = f"{la}200124001"
        assert upn_problem(calc_check_digit(body) + body) is None
        wrong = next(c for c in "ABCDEFGHJK" if c != calc_check_digit(body)) + body
        assert upn_problem(wrong) == "UPN check letter is wrong"

    def test_the_issue_example_upn_is_valid(self) -> None:
        assert upn_problem("N839200124001") is None

    def test_an_unknown_la_is_still_refused(self) -> None:
        body = "999200124001"
        assert upn_problem(calc_check_digit(body) + body) == (
            "UPN does not carry a known LA number in positions 2-4"
        )

    def test_temporary_upn_is_accepted_when_it_ends_in_a_letter(self) -> None:
        """A temporary UPN ends in a letter, which counts by its value in the check table."""
        body = "93140012500A"
        assert upn_problem(calc_check_digit(body) + body) is None
