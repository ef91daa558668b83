"""CSV import end to end on SQLite and PostgreSQL: `import_file` and `pathway import`.

Malformed rows are named, quarantined with their row numbers and reported, the good rows around
them go in, re-importing changes nothing, and an amendment is kept beside the original.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from casework.seed import write_synthetic_la
from casework.service.importing import mark_store
from casework.service.importing.files import KINDS, ImportResult, import_file
from tests.conftest import SHARED

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
UPN_A, UPN_B = "C931400125001", "Y931400125006"

FILES = {
    "schools": """urn,name,la_code,phase,am_register_closes,pm_register_closes
100001,School 100001,931,secondary,09:15,13:45
""",
    "calendar": """urn,date,sessions,kind
,2025-09-03,,term_start
,2025-10-24,,term_end
100001,2025-09-19,PM,closed
""",
    "pupils": f"""upn,urn,forename,surname,date_of_birth,year_group,sen_status,fsm,pupil_premium,\
looked_after,previously_looked_after,cp_cin,social_worker_email,young_carer,ethnicity,home_language
{UPN_A},100001,Sam,Able,2014-03-14,7,N,false,false,false,false,none,,false,WBRI,ENG
{UPN_B},100001,Kim,Baker,2013-11-02,8,K,true,true,false,false,CIN,sw1@example.org,false,WBRI,ENG
""",
    "contacts": f"""upn,contact_id,name,relationship,parental_responsibility,priority,mobile,email,\
preferred_channel,language,address
{UPN_A},{UPN_A}-1,Alex Able,mother,true,1,+447911125001,alex@example.org,sms,en,1 High St
{UPN_A},{UPN_A}-2,Jo Able,father,true,2,07700 900123,jo@simulator.invalid,email,pl,1 High St
{UPN_B},{UPN_B}-1,Lee Baker,mother,true,1,,,letter,en,"2 Mill Lane, Synthetown"
""",
    "marks": f"""upn,urn,date,session,code,minutes_late,recorded_at
{UPN_A},100001,2025-09-03,AM,/,,
{UPN_A},100001,2025-09-03,PM,\\,,
{UPN_B},100001,2025-09-03,AM,N,,
{UPN_B},100001,2025-09-03,AM,I,,2025-09-04T10:30:00
{UPN_B},100001,2025-09-03,PM,L,7,
""",
}


def write(folder: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = folder / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8", newline="")
    return path


def run(engine: Engine, kind: str, path: Path, reports: Path) -> ImportResult:
    return import_file(engine, kind, path, reports_dir=reports, tz=LONDON, now=NOW)


def load_all(engine: Engine, folder: Path) -> dict[str, ImportResult]:
    return {
        kind: run(engine, kind, write(folder, f"{kind}.csv", FILES[kind]), folder / "reports")
        for kind in KINDS
    }


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


TABLES = ("schools", "calendar_entries", "pupils", "contacts", "marks")


def _refuse_marks_coded(engine: Engine, code: str) -> None:
    """A trigger that makes the database refuse any mark with `code`."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_mark BEFORE INSERT ON marks WHEN NEW.code = '{code}' "
                "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
            )
            return
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse_mark() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.code = '{code}' THEN RAISE EXCEPTION 'refused for the test'; END IF; "
            "RETURN NEW; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse_mark BEFORE INSERT ON marks "
            "FOR EACH ROW EXECUTE FUNCTION refuse_mark()"
        )


class TestImportFile:
    def test_every_row_is_accepted_and_reimport_changes_nothing(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A clean LA goes in whole; the same files again are all unchanged, nothing added."""
        first = load_all(engine, tmp_path)
        assert {k: (r.accepted, r.rejected) for k, r in first.items()} == {
            "schools": (1, 0), "calendar": (3, 0), "pupils": (2, 0), "contacts": (3, 0),
            "marks": (5, 0),
        }  # fmt: skip
        before = {t: count(engine, t) for t in TABLES}
        again = load_all(engine, tmp_path)
        assert {k: (r.accepted, r.rejected, r.unchanged) for k, r in again.items()} == {
            "schools": (0, 0, 1), "calendar": (0, 0, 3), "pupils": (0, 0, 2),
            "contacts": (0, 0, 3), "marks": (0, 0, 5),
        }  # fmt: skip
        assert {t: count(engine, t) for t in TABLES} == before
        assert all(r.report_path is None for r in again.values())

    def test_marks_written_in_parts_go_in_whole_with_a_later_part_repeating_an_earlier(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two rows a part: three parts are written while the next is checked; the repeat of
        row 2 in the last part is rejected, every other row is stored once."""
        monkeypatch.setattr(mark_store, "CHUNK_ROWS", 2)
        for kind in KINDS[:-1]:
            run(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]), tmp_path / "reports")
        repeated = FILES["marks"] + f"{UPN_A},100001,2025-09-03,AM,/,,\n"

        result = run(engine, "marks", write(tmp_path, "marks.csv", repeated), tmp_path / "reports")

        assert (result.accepted, result.rejected) == (5, 1)
        assert [(e.row_no, e.reason) for e in result.errors] == [(7, "duplicate of row 2")]
        assert count(engine, "marks") == 5

    def test_a_part_that_fails_to_write_leaves_nothing_of_the_file(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The database refuses the third part while the file is still being checked: the
        error reaches the caller, and neither the parts before it nor the batch are kept."""
        monkeypatch.setattr(mark_store, "CHUNK_ROWS", 2)
        for kind in KINDS[:-1]:
            run(engine, kind, write(tmp_path, f"{kind}.csv", FILES[kind]), tmp_path / "reports")
        _refuse_marks_coded(engine, "L")

        # On PostgreSQL the COPY path talks to psycopg directly, so its error arrives unwrapped.
        with pytest.raises((sa.exc.DBAPIError, psycopg.Error), match="refused for the test"):
            run(engine, "marks", write(tmp_path, "marks.csv", FILES["marks"]), tmp_path / "reports")

        assert count(engine, "marks") == 0
        assert count(engine, "import_batches WHERE kind = 'marks'") == 0

    def test_amendment_is_kept_alongside_the_original(self, engine: Engine, tmp_path: Path) -> None:
        """An N later amended to I is two versions of one slot; the original is not overwritten."""
        load_all(engine, tmp_path)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT code, original_code, recorded_at FROM marks "
                    "WHERE upn = :upn AND session = 'AM' ORDER BY recorded_at"
                ),
                {"upn": UPN_B},
            ).all()
        assert [(r.code, r.original_code) for r in rows] == [("N", "N"), ("I", "I")]

    def test_stored_values_are_normalised_when_written(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """E.164 phones (simulator numbers too), the close time for a blank recorded_at."""
        load_all(engine, tmp_path)
        with engine.connect() as conn:
            mobile = conn.execute(
                sa.text("SELECT mobile FROM contacts WHERE contact_id = :c"), {"c": f"{UPN_A}-2"}
            ).scalar_one()
            minutes = conn.execute(
                sa.text("SELECT minutes_late FROM marks WHERE code = 'L'")
            ).scalar_one()
        assert mobile == "+447700900123"
        assert minutes == 7

    def test_malformed_rows_are_quarantined_and_good_rows_go_in(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Each bad row is named with its line number; the good rows around it are imported."""
        load_all(engine, tmp_path)
        marks = write(
            tmp_path,
            "bad-marks.csv",
            f"""upn,urn,date,session,code,minutes_late,recorded_at
{UPN_A},100001,2025-09-04,AM,/,,
{UPN_A},100001,2025-09-04,PM,ZZ,,
{UPN_A},100001,2025-09-05,AM,/,,

B931400125010,100001,2025-09-05,PM,/,,
{UPN_A},100001,2025-09-31,AM,/,,
{UPN_A},100001,2025-09-05,AM,/,,
{UPN_B},100001,2025-09-03,AM,O,,
{UPN_B},100001,2025-09-04,AM,/,,
""",
        )
        result = run(engine, "marks", marks, tmp_path / "reports")
        assert {e.row_no: e.reason.split(":")[0] for e in result.errors} == {
            3: "unknown register code 'ZZ'",
            6: "unknown pupil",
            7: "date '2025-09-31' is not a real date (YYYY-MM-DD)",
            8: "duplicate of row 4",
            9: "conflicts with the stored mark N for this pupil, date, session and recorded_at "
            "(an amendment needs a later recorded_at)",
        }
        assert (result.accepted, result.rejected, result.unchanged) == (3, 5, 0)
        assert count(engine, "marks") == 5 + 3
        with engine.connect() as conn:
            quarantined = conn.execute(
                sa.text("SELECT row_no, kind, raw FROM quarantined_rows WHERE batch_id = :b"),
                {"b": result.batch_id},
            ).all()
        assert sorted(r.row_no for r in quarantined) == [3, 6, 7, 8, 9]
        raw = next(r.raw for r in quarantined if r.row_no == 3)
        raw = json.loads(raw) if isinstance(raw, str) else raw
        assert raw["code"] == "ZZ"
        assert result.report_path is not None
        with result.report_path.open(encoding="utf-8", newline="") as handle:
            report = list(csv.DictReader(handle))
        assert [int(r["row_no"]) for r in report] == [3, 6, 7, 8, 9]
        assert json.loads(report[0]["raw"])["code"] == "ZZ"

    def test_missing_column_refuses_the_whole_file(self, engine: Engine, tmp_path: Path) -> None:
        """A header without a required column writes nothing at all and names the column."""
        path = write(tmp_path, "schools.csv", "urn,name,la_code\n100001,S,931\n")
        result = run(engine, "schools", path, tmp_path / "reports")
        assert result.header_error == (
            "header is missing required column(s): phase, am_register_closes, pm_register_closes"
        )
        assert (result.batch_id, result.accepted, result.rejected) == (None, 0, 0)
        assert count(engine, "import_batches") == 0
        assert count(engine, "schools") == 0

    def test_file_that_is_not_utf8_is_refused_whole(self, engine: Engine, tmp_path: Path) -> None:
        """Text in another encoding is refused before anything is read into the database."""
        path = tmp_path / "pupils.csv"
        path.write_bytes(FILES["pupils"].replace("Sam", "S\u00e9bastien").encode("latin-1"))
        result = run(engine, "pupils", path, tmp_path / "reports")
        assert result.header_error is not None
        assert result.header_error.startswith("the file is not UTF-8 text")
        assert count(engine, "import_batches") == 0

    def test_byte_order_mark_is_tolerated_when_present(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Spreadsheets save UTF-8 with a BOM; the first column is still recognised."""
        path = write(tmp_path, "schools.csv", FILES["schools"], bom=True)
        result = run(engine, "schools", path, tmp_path / "reports")
        assert (result.accepted, result.header_error) == (1, None)

    def test_changed_rows_update_and_count_as_accepted(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A changed pupil or contact is updated in place (accepted); the others are unchanged."""
        load_all(engine, tmp_path)
        pupils = FILES["pupils"].replace("Sam,Able", "Samuel,Able")
        result = run(engine, "pupils", write(tmp_path, "p2.csv", pupils), tmp_path / "reports")
        assert (result.accepted, result.unchanged) == (1, 1)
        with engine.connect() as conn:
            forename = conn.execute(
                sa.text("SELECT forename FROM pupils WHERE upn = :u"), {"u": UPN_A}
            ).scalar_one()
        assert forename == "Samuel"

    def test_seeded_la_imports_without_a_single_rejection(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """Every row `pathway seed` writes is accepted by `pathway import`."""
        counts = write_synthetic_la(
            tmp_path / "la",
            schools=2,
            pupils=60,
            start=date(2025, 9, 1),
            end=date(2025, 9, 19),
            seed=4,
        )
        for kind in KINDS:
            result = run(engine, kind, tmp_path / "la" / f"{kind}.csv", tmp_path / "reports")
            assert (result.rejected, result.errors[:3]) == (0, []), kind
            assert result.accepted == counts[kind], kind

    def test_shared_scenario_files_are_accepted(self, engine: Engine, tmp_path: Path) -> None:
        """The acceptance scenarios' CSVs import cleanly."""
        folder = SHARED / "scenarios" / "first_day_call"
        for kind in KINDS:
            result = run(engine, kind, folder / f"{kind}.csv", tmp_path / "reports")
            assert (result.rejected, result.header_error) == (0, None), (kind, result.errors)
            assert result.accepted > 0


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"PATHWAY_DATABASE_URL": database_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}


class TestImportCommand:
    def invoke(self, env: dict[str, str], *args: str) -> tuple[int, str, str]:
        import casework.cli  # noqa: F401  (registers every command on the app)
        from casework.cli.app import app

        result = CliRunner().invoke(app, ["import", *args], env=env)
        return result.exit_code, result.stdout, result.stderr

    def test_clean_files_exit_zero_and_print_counts(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """`pathway import` prints accepted / rejected / unchanged and exits 0 when clean."""
        for kind in KINDS:
            path = write(tmp_path, f"{kind}.csv", FILES[kind])
            code, out, _ = self.invoke(cli_env, kind, str(path))
            assert code == 0, out
        code, out, _ = self.invoke(cli_env, "marks", str(tmp_path / "marks.csv"))
        assert (code, out.strip()) == (0, "marks: 0 accepted, 0 rejected, 5 unchanged")

    def test_rejected_rows_exit_one_and_name_the_report(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """Any rejected row: exit 1, each row named, the report under the var folder printed."""
        schools = FILES["schools"] + "12AB,Bad,931,primary,08:55,13:15\n"
        code, out, _ = self.invoke(cli_env, "schools", str(write(tmp_path, "s.csv", schools)))
        assert code == 1
        assert "schools: 1 accepted, 1 rejected, 0 unchanged" in out
        assert "row 3: urn must be 6 to 8 digits, not '12AB'" in out
        report = Path(out.split("report: ", 1)[1].strip())
        assert report.parent == tmp_path / "var" / "imports"
        assert report.exists()

    def test_missing_column_exits_one_with_nothing_imported(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """A refused header: exit 1, the missing columns named on stderr."""
        path = write(tmp_path, "marks.csv", "upn,urn,date,session\n")
        code, out, err = self.invoke(cli_env, "marks", str(path))
        assert code == 1
        assert "missing required column(s): code, minutes_late, recorded_at" in err
        assert out == ""
