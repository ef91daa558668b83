"""CTF import and export end to end on SQLite and PostgreSQL: `import_ctf`, `export_ctf` and the
`pathway import ctf` / `pathway export ctf` commands.

A CTF's pupils, contacts and marks land as the CSV imports would put them; a pupil without a UPN
and an unknown code are quarantined; a file from another LA's school is refused whole; a later
file updates rather than duplicates; an export imports into an empty database with the same marks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.seed import write_synthetic_la
from casework.seed.ctf import write_school_ctfs
from casework.service.importing.ctf import CtfImportResult, import_ctf
from casework.service.importing.ctf_export import export_ctf
from casework.service.importing.files import import_file
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.support.ctf_files import (
    BOMB,
    NO_UPN,
    SCHOOLS_CSV,
    UPN_A,
    UPN_B,
    ctf,
    pupil_a,
    pupil_b,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


def with_school(engine: Engine, folder: Path) -> None:
    path = folder / "schools.csv"
    path.write_text(SCHOOLS_CSV)
    result = import_file(engine, "schools", path, reports_dir=folder, tz=LONDON, now=NOW)
    assert result.accepted == 1


def run(engine: Engine, folder: Path, data: bytes, name: str = "file.xml") -> CtfImportResult:
    path = folder / name
    path.write_bytes(data)
    return import_ctf(engine, path, reports_dir=folder / "reports", tz=LONDON, now=NOW)


def counts(result: CtfImportResult) -> dict[str, tuple[int, int, int]]:
    return {p.kind: (p.accepted, p.rejected, p.unchanged) for p in result.parts}


def rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def latest_marks(engine: Engine, upn: str) -> dict[tuple[str, str], str]:
    query = sa.text(
        "SELECT school_date, session, code FROM marks WHERE upn = :upn ORDER BY recorded_at"
    )
    with engine.connect() as conn:
        found = conn.execute(query, {"upn": upn})
        return {(str(day), session): code for day, session, code in found}


class TestImportCtf:
    def test_pupils_contacts_and_marks_of_both_encodings_go_in(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        result = run(engine, tmp_path, ctf(pupil_a(), pupil_b()))
        assert (result.refused, counts(result)) == (
            None,
            {"pupils": (2, 0, 0), "contacts": (2, 0, 0), "marks": (11, 0, 0)},
        )
        facts = "SELECT sen_status, looked_after, fsm, medical_condition FROM pupils WHERE upn = "
        assert rows(engine, f"{facts}'{UPN_A}'") == [("E", True, True, True)]
        people = "SELECT contact_id, parental_responsibility, mobile FROM contacts ORDER BY 1"
        assert rows(engine, people) == [
            (f"{UPN_A}-1", True, "+447911125001"),
            (f"{UPN_A}-2", False, None),
        ]
        marks_b = latest_marks(engine, UPN_B)
        assert marks_b[("2025-09-04", "AM")] == "C1"
        assert marks_b[("2025-09-05", "AM")] == "J1"  # legacy J is J1 now
        legacy = f"SELECT code, original_code FROM marks WHERE upn = '{UPN_A}' AND code = 'H'"
        assert rows(engine, legacy) == [("H", "H")]  # legacy H: authorised (DOMAIN.md rule 1)

    def test_a_pupil_without_a_upn_and_an_unknown_code_are_quarantined(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        result = run(engine, tmp_path, ctf(pupil_a("/?"), NO_UPN))
        assert counts(result) == {"pupils": (1, 1, 0), "contacts": (2, 0, 0), "marks": (1, 1, 0)}
        reasons = [(e.row_no, e.reason) for p in result.parts for e in p.errors]
        assert reasons == [(2, "upn is required"), (1, "unknown register code '?'")]
        assert rows(engine, "SELECT kind, row_no FROM quarantined_rows ORDER BY kind") == [
            ("marks", 1),
            ("pupils", 2),
        ]
        assert all(p.report_path is not None for p in result.parts if p.rejected)

    def test_a_pupil_twice_in_one_file_keeps_the_first_and_its_marks(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        result = run(engine, tmp_path, ctf(pupil_a("//"), pupil_a("//")))
        pupils, _, marks = result.parts
        assert [(e.row_no, e.reason) for e in pupils.errors] == [(2, "duplicate of row 1")]
        assert (marks.accepted, [e.reason for e in marks.errors]) == (
            2,
            ["duplicate of row 1", "duplicate of row 1"],
        )

    def test_a_file_from_another_las_school_is_refused_and_nothing_written(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        other_la = run(engine, tmp_path, ctf(pupil_a(), lea="932"))
        unknown = run(engine, tmp_path, ctf(pupil_a(), urn="199999"))
        assert other_la.refused == (
            "the file is for a school of LA 932, but school 100001 belongs to LA 931"
        )
        assert "199999" in str(unknown.refused)
        assert rows(engine, "SELECT count(*) FROM pupils") == [(0,)]
        assert rows(engine, "SELECT count(*) FROM import_batches") == [(1,)]  # the schools file

    def test_a_later_file_updates_the_pupil_and_amends_a_changed_mark(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        run(engine, tmp_path, ctf(pupil_a()))
        later = run(
            engine,
            tmp_path,
            ctf(pupil_a("/\\INH#", surname="Able-Smith"), when="2025-09-12T10:00:00"),
        )
        assert counts(later) == {"pupils": (1, 0, 0), "contacts": (0, 0, 2), "marks": (1, 0, 4)}
        assert rows(engine, "SELECT surname FROM pupils") == [("Able-Smith",)]
        slot = "school_date = '2025-09-04' AND session = 'AM'"
        history = rows(engine, f"SELECT code FROM marks WHERE {slot} ORDER BY recorded_at")
        assert history == [("N",), ("I",)]  # the original kept, the amendment after it

    def test_totals_that_disagree_are_reported_and_the_marks_imported(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        result = run(
            engine, tmp_path, ctf(pupil_a(totals="<SessionsPossible>7</SessionsPossible>"))
        )
        assert counts(result)["marks"] == (5, 0, 0)
        assert result.notes_path is not None
        assert "SessionsPossible says 7, the marks give 5" in result.notes_path.read_text()


class TestSeededCtfs:
    def test_seeded_school_ctfs_import_without_a_single_rejection(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """`pathway seed`'s CTFs start a demo: every pupil, contact and mark goes in."""
        out = tmp_path / "la"
        write_synthetic_la(
            out, schools=2, pupils=60, start=date(2025, 9, 1), end=date(2025, 9, 26), seed=3
        )
        write_school_ctfs(out, out / "ctf", date(2025, 9, 26))
        import_file(
            engine, "schools", out / "schools.csv", reports_dir=tmp_path, tz=LONDON, now=NOW
        )
        for path in sorted((out / "ctf").glob("*.xml")):
            result = import_ctf(engine, path, reports_dir=tmp_path, tz=LONDON, now=NOW)
            assert (result.refused, result.rejected, result.notes) == (None, 0, [])
        assert rows(engine, "SELECT count(*) FROM pupils") == [(60,)]


class TestRoundTrip:
    def test_export_then_import_into_an_empty_database_gives_the_same_marks(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        with_school(engine, tmp_path)
        run(engine, tmp_path, ctf(pupil_a(), pupil_b()))
        run(engine, tmp_path, ctf(pupil_a("/\\INH#")), name="later.xml")  # an amendment
        exported = export_ctf(engine, UPN_A, datetime(2025, 9, 20, 12, 0, tzinfo=LONDON))
        empty_url = f"sqlite:///{tmp_path / 'empty.db'}"
        upgrade(empty_url)
        empty = get_engine(empty_url)
        with_school(empty, tmp_path)
        again = run(empty, tmp_path, exported, name="exported.xml")
        assert (again.refused, again.rejected, again.notes) == (None, 0, [])
        assert latest_marks(empty, UPN_A) == latest_marks(engine, UPN_A)
        assert latest_marks(empty, UPN_A)[("2025-09-04", "AM")] == "I"
        assert rows(empty, "SELECT sen_status, looked_after FROM pupils") == [("E", True)]


@pytest.mark.postgres
def test_round_trip_from_sqlite_to_postgresql(tmp_path: Path) -> None:
    """The exported file imports on PostgreSQL with the same marks (a transfer between systems)."""
    require_postgres()
    source_url = f"sqlite:///{tmp_path / 'a.db'}"
    upgrade(source_url)
    source = get_engine(source_url)
    with_school(source, tmp_path)
    run(source, tmp_path, ctf(pupil_a(), pupil_b()))
    url = create_postgres_database()
    try:
        upgrade(url)
        target = get_engine(url)
        with_school(target, tmp_path)
        for upn in (UPN_A, UPN_B):
            exported = export_ctf(source, upn, datetime(2025, 9, 20, 12, 0, tzinfo=LONDON))
            assert run(target, tmp_path, exported, name=f"{upn}.xml").rejected == 0
            assert latest_marks(target, upn) == latest_marks(source, upn)
        target.dispose()
    finally:
        drop_postgres_database(url)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"PATHWAY_DATABASE_URL": database_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}


class TestCtfCommands:
    def invoke(self, env: dict[str, str], *args: str) -> tuple[int, str, str]:
        import casework.cli  # noqa: F401  (registers every command on the app)
        from casework.cli.app import app

        result = CliRunner().invoke(app, list(args), env=env)
        return result.exit_code, result.stdout, result.stderr

    def school(self, env: dict[str, str], folder: Path) -> None:
        (folder / "schools.csv").write_text(SCHOOLS_CSV)
        assert self.invoke(env, "import", "schools", str(folder / "schools.csv"))[0] == 0

    def test_import_ctf_prints_each_kind_and_exits_by_what_was_rejected(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        self.school(cli_env, tmp_path)
        (tmp_path / "clean.xml").write_bytes(ctf(pupil_a(), pupil_b()))
        (tmp_path / "bad.xml").write_bytes(ctf(NO_UPN))
        code, out, _ = self.invoke(cli_env, "import", "ctf", str(tmp_path / "clean.xml"))
        assert (code, out.splitlines()[:3]) == (
            0,
            [
                "pupils: 2 accepted, 0 rejected, 0 unchanged",
                "contacts: 2 accepted, 0 rejected, 0 unchanged",
                "marks: 11 accepted, 0 rejected, 0 unchanged",
            ],
        )
        code, out, _ = self.invoke(cli_env, "import", "ctf", str(tmp_path / "bad.xml"))
        assert code == 1
        assert "  pupil 1: upn is required" in out
        assert "Nobody" not in out  # no names in what is printed

    def test_malformed_and_bomb_files_are_refused_with_exit_one(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        self.school(cli_env, tmp_path)
        (tmp_path / "broken.xml").write_bytes(b"<CTfile><Header></CTfile>")
        (tmp_path / "bomb.xml").write_bytes(BOMB)
        for name, reason in (("broken.xml", "not well-formed"), ("bomb.xml", "DTD or entities")):
            code, _, err = self.invoke(cli_env, "import", "ctf", str(tmp_path / name))
            assert (code, "refused, nothing imported" in err, reason in err) == (1, True, True)

    def test_export_ctf_writes_the_file_and_an_unknown_upn_exits_one(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        self.school(cli_env, tmp_path)
        (tmp_path / "in.xml").write_bytes(ctf(pupil_a()))
        self.invoke(cli_env, "import", "ctf", str(tmp_path / "in.xml"))
        out_file = tmp_path / "out.xml"
        code, _, _ = self.invoke(cli_env, "export", "ctf", "--upn", UPN_A, "--out", str(out_file))
        assert code == 0
        assert b"<AttendanceMarks>/\\NNH#</AttendanceMarks>" in out_file.read_bytes()
        code, _, err = self.invoke(cli_env, "export", "ctf", "--upn", "A000000000000")
        assert (code, "no pupil with this UPN" in err) == (1, True)

    def test_import_marks_with_a_profile_quarantines_an_unmapped_code(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        self.school(cli_env, tmp_path)
        (tmp_path / "in.xml").write_bytes(ctf(pupil_a("")))
        self.invoke(cli_env, "import", "ctf", str(tmp_path / "in.xml"))
        wide = tmp_path / "wide.csv"
        wide.write_text(f"UPN,URN,08/09/2025 AM,08/09/2025 PM\n{UPN_A},100001,/,ZZ\n")
        code, out, _ = self.invoke(
            cli_env, "import", "marks", str(wide), "--profile", "wide-register"
        )
        assert code == 1
        assert "marks: 1 accepted, 1 rejected, 0 unchanged" in out
        assert "code 'ZZ' is not mapped by profile wide-register" in out
        assert date(2025, 9, 8).isoformat() in str(
            latest_marks(get_engine(cli_env["PATHWAY_DATABASE_URL"]), UPN_A)
        )

    def test_import_marks_with_a_long_profile_keeps_minutes_and_quarantines_by_code(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        self.school(cli_env, tmp_path)
        (tmp_path / "in.xml").write_bytes(ctf(pupil_a("")))
        self.invoke(cli_env, "import", "ctf", str(tmp_path / "in.xml"))
        export = tmp_path / "long.csv"
        export.write_text(
            "UPN,School URN,Date,Session,Mark,Minutes Late,Last Updated\n"
            f"{UPN_A},100001,08/09/2025,Morning,LT,,\n"
            f"{UPN_A},100001,08/09/2025,Afternoon,L,9,08/09/2025 13:50\n"
        )
        code, out, _ = self.invoke(
            cli_env, "import", "marks", str(export), "--profile", "long-register"
        )
        assert (code, out.splitlines()[0]) == (1, "marks: 1 accepted, 1 rejected, 0 unchanged")
        engine = get_engine(cli_env["PATHWAY_DATABASE_URL"])
        assert rows(engine, "SELECT code, minutes_late FROM marks") == [("L", 9)]
        assert rows(engine, "SELECT kind, row_no, reason FROM quarantined_rows") == [
            ("marks", 2, "code 'LT' is not mapped by profile long-register")
        ]
        code, _, _ = self.invoke(cli_env, "import", "marks", str(export))  # no profile: marks.csv
        assert code == 1
