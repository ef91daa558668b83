"""Governors' and LA reports end to end on a small constructed LA, on SQLite and PostgreSQL:
rows in the database -> figures -> HTML and PDF under the reports folder, PDF text read back with
pypdfium2; what worked for one pupil; the `pathway report` commands.

The LA: two schools; the reporting period is the school week of Mon 17 – Fri 21 Nov 2025 and the
report is as of Fri 5 Dec 2025. In that week (10 sessions each):
  School A: A1 10 /, A2 9 / + I, A3 8 / + 2 O, A4 5 / + 5 I, A5 8 / + 2 X, A6 9 / + G
            -> 58 possible, 49 attended (84.5 %), PA 4 of 6 (66.7 %), SA 1 of 6
  School B: B1 10 /, B2 10 /, B3 7 / + 3 N, B4 4 / + 6 M
            -> 40 possible, 31 attended (77.5 %), PA 2 of 4 (50.0 %)
A1's Monday AM is amended to O on 10 Dec, after the report date: the report must not see it
(if it did, A would read 82.8 %).
A3 entered the attendance plan on Wed 19 Nov: 10 of 20 sessions attended in the 2 school weeks
before (3 and 10 Nov), 18 of 20 in the 2 after (24 Nov and 1 Dec).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from casework.core.calendar import register_close_at
from casework.core.policy import load_policy
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import (
    CalendarEntry,
    Case,
    Decision,
    Mark,
    PenaltyNotice,
    Pupil,
    School,
    StageEntry,
    Task,
)
from casework.service.errors import InvalidRequest, NotFound
from casework.service.reports import (
    ReportFiles,
    build_governors_report,
    build_la_report,
    build_weekly_reports,
    what_worked_for_pupil,
)
from casework.settings import LONDON, Settings
from tests.factories import TERMS
from tests.support.pdf_layout import text_off_the_page

URN_A, URN_B = "100001", "100002"
START, END, ON = date(2025, 11, 17), date(2025, 11, 21), date(2025, 12, 5)
ENTERED = date(2025, 11, 19)
NOW = datetime(2025, 12, 5, 17, 0, tzinfo=UTC)

WEEK = {
    "A1": "//////////", "A2": "/////////I", "A3": "////////OO", "A4": "/////IIIII",
    "A5": "////////XX", "A6": "/////////G",
    "B1": "//////////", "B2": "//////////", "B3": "///////NNN", "B4": "////MMMMMM",
}  # fmt: skip
A3_AROUND = {
    date(2025, 11, 3): "/////OOOOO", date(2025, 11, 10): "/////OOOOO",
    date(2025, 11, 24): "//////////", date(2025, 12, 1): "////////II",
}  # fmt: skip


def upn(name: str) -> str:
    return f"{name}{0:011d}"  # 13 characters, e.g. A1 + zeros


def _marks(name: str, monday: date, codes: str, urn: str) -> list[Mark]:
    out = []
    for i, code in enumerate(codes):
        day, session = monday + timedelta(days=i // 2), "AM" if i % 2 == 0 else "PM"
        at = register_close_at(day, session, time(9, 15), time(13, 30), LONDON)  # type: ignore[arg-type]
        out.append(
            Mark(
                upn=upn(name),
                urn=urn,
                school_date=day,
                session=session,
                code=code,
                original_code=code,
                recorded_at=at,
            )
        )
    return out


def _school_rows(engine: Engine) -> None:
    with unit_of_work(engine) as db:
        for urn in (URN_A, URN_B):
            db.add(
                School(
                    urn=urn,
                    name=f"School {urn}",
                    la_code="201",
                    phase="primary",
                    am_register_closes=time(9, 15),
                    pm_register_closes=time(13, 30),
                )
            )
        for first, last in TERMS:
            db.add(CalendarEntry(urn="", entry_date=date.fromisoformat(first), kind="term_start"))
            db.add(CalendarEntry(urn="", entry_date=date.fromisoformat(last), kind="term_end"))


def _pupil_rows(engine: Engine) -> None:
    with unit_of_work(engine) as db:
        for name in WEEK:
            urn = URN_A if name.startswith("A") else URN_B
            db.add(
                Pupil(
                    upn=upn(name),
                    urn=urn,
                    forename="Test",
                    surname=name,
                    date_of_birth=date(2015, 1, 1),
                    year_group="5",
                    sen_status="N",
                    pupil_premium=name in ("A1", "A2", "A3"),
                )
            )
        db.flush()
        for name, codes in WEEK.items():
            db.add_all(_marks(name, START, codes, URN_A if name.startswith("A") else URN_B))
        for monday, codes in A3_AROUND.items():
            db.add_all(_marks("A3", monday, codes, URN_A))
        late = datetime(2025, 12, 10, 12, 0, tzinfo=UTC)
        db.add(
            Mark(
                upn=upn("A1"),
                urn=URN_A,
                school_date=START,
                session="AM",
                code="O",
                original_code="O",
                recorded_at=late,
            )
        )


def _case_rows(engine: Engine) -> None:
    with unit_of_work(engine) as db:
        case = Case(upn=upn("A3"), urn=URN_A, opened_date=ENTERED, opened_at=NOW)
        db.add(case)
        db.flush()
        assert case.id is not None
        db.add(
            StageEntry(
                key="k-stage",
                case_id=case.id,
                upn=upn("A3"),
                urn=URN_A,
                stage="attendance_plan",
                entered_date=ENTERED,
            )
        )
        approved = Decision(
            key="k-pn",
            case_id=case.id,
            upn=upn("A3"),
            urn=URN_A,
            stage="penalty_notice",
            status="approved",
            requested_date=date(2025, 11, 18),
            decided_date=ENTERED,
        )
        db.add(approved)
        db.add(
            Decision(
                key="k-pros",
                case_id=case.id,
                upn=upn("A3"),
                urn=URN_A,
                stage="prosecution",
                requested_date=date(2025, 11, 20),
            )
        )
        db.flush()
        assert approved.id is not None
        db.add(
            PenaltyNotice(
                decision_id=approved.id,
                upn=upn("A3"),
                contact_id="c1",
                sequence=1,
                amount_pence=16000,
                issued_date=ENTERED,
                receipt_date=END,
                pay_by_date=date(2025, 12, 19),
            )
        )
        db.add(
            Task(
                key="k-task",
                case_id=case.id,
                upn=upn("A3"),
                urn=URN_A,
                kind="home_visit",
                owner_role="attendance_officer",
                created_date=START,
                due_date=date(2025, 11, 18),
            )
        )


@pytest.fixture
def la(database_url: str) -> Engine:
    engine = get_engine(database_url)
    _school_rows(engine)
    _pupil_rows(engine)
    _case_rows(engine)
    return engine


def pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(path)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var")


def _check_files(files: ReportFiles, settings: Settings) -> str:
    assert files.html.parent == files.pdf.parent == settings.reports_dir
    assert files.pdf.read_bytes().startswith(b"%PDF")
    assert text_off_the_page(files.pdf) == []  # every table fits the page
    # PDF text has no layout; spaces and line breaks fall where the page put them.
    return " ".join(pdf_text(files.pdf).split())


def test_governors_report_shows_hand_counted_figures_in_html_and_pdf_when_built(
    la: Engine, tmp_path: Path
) -> None:
    """School A against the LA's other school (B), nothing suppressed (min 1): attendance,
    PA, the amendment after the report date unseen, legal steps, what worked, charts."""
    settings = _settings(tmp_path)
    files = build_governors_report(
        la,
        settings,
        URN_A,
        start=START,
        end=END,
        on=ON,
        policy=load_policy(),
        min_cohort=1,
        weeks=2,
    )
    assert files.pdf.name == f"governors-{URN_A}-{START}-{END}.pdf"
    html = files.html.read_text(encoding="utf-8")
    text = _check_files(files, settings)
    for page in (html, text):
        assert "Attendance report for governors: School 100001" in page
        assert "84.5%" in page
        assert "82.8%" not in page  # the 10 Dec amendment is not seen
        assert "77.5%" in page  # LA other schools (B)
        assert "66.7% (4)" in page  # PA at A
        assert "Attendance by group" in page  # the chart's title, drawn as SVG text
    assert "<svg" in html
    assert "Penalty notice 0 1 0 0 1" in text  # requested, approved, declined, closed, total
    assert "Prosecution 1 0 0 0 1" in text
    assert "Issued, awaiting payment 1" in text
    assert "Attendance plan 1 1 50.0% 90.0% +40.0 pts 1 0 0" in text  # what worked


def test_la_report_hides_small_schools_but_shows_the_total_when_under_the_minimum(
    la: Engine, tmp_path: Path
) -> None:
    """min 5: B (4 pupils) is suppressed, and A with it so B cannot be derived from the total;
    the LA total, overdue tasks and notices by status are shown."""
    settings = _settings(tmp_path)
    files = build_la_report(
        la, settings, start=START, end=END, on=ON, policy=load_policy(), weeks=2
    )
    text = _check_files(files, settings)
    # A suppressed row is one wide "suppressed" cell after the school's name.
    assert f"School {URN_A} ({URN_A}) suppressed School {URN_B}" in text
    assert f"School {URN_B} ({URN_B}) suppressed LA total" in text
    assert "LA total 10 81.6%" in text
    # One overdue home visit (due 18 Nov, never completed) and one notice: counts under the
    # minimum are suppressed like any other figure (issue 19).
    assert "Home visit suppressed" in text
    assert "Total issued suppressed" in text


def test_what_worked_for_pupil_gives_before_and_after_when_the_window_has_passed(
    la: Engine,
) -> None:
    """A3: 10/20 before, 18/20 after; as of 4 Dec the after window has not ended."""
    [effect] = what_worked_for_pupil(la, upn("A3"), weeks=2)
    assert (effect.stage, effect.entered_date) == ("attendance_plan", ENTERED)
    assert (effect.before.attended, effect.before.possible) == (10, 20)
    assert (effect.after.attended, effect.after.possible) == (18, 20)
    assert effect.enough_data
    assert effect.outcome == "improved"
    [early] = what_worked_for_pupil(la, upn("A3"), weeks=2, on=date(2025, 12, 4))
    assert not early.enough_data
    assert what_worked_for_pupil(la, upn("B1")) == []
    with pytest.raises(NotFound):
        what_worked_for_pupil(la, "Z999999999999")


def test_reports_refuse_an_unknown_school_or_a_backwards_period_when_asked(
    la: Engine, tmp_path: Path
) -> None:
    settings, policy = _settings(tmp_path), load_policy()
    with pytest.raises(NotFound):
        build_governors_report(la, settings, "999999", on=ON, policy=policy)
    with pytest.raises(InvalidRequest):
        build_la_report(la, settings, start=END, end=START, on=ON, policy=policy)


def test_weekly_reports_write_every_school_and_the_la_when_run(
    sqlite_url: str, tmp_path: Path
) -> None:
    """One governors' report per school plus the LA's, academic year to the date."""
    engine = get_engine(sqlite_url)
    _school_rows(engine)
    _pupil_rows(engine)
    settings = _settings(tmp_path)
    files = build_weekly_reports(engine, settings, ON, load_policy())
    assert [f.pdf.name for f in files] == [
        f"governors-{URN_A}-2025-08-01-{ON}.pdf",
        f"governors-{URN_B}-2025-08-01-{ON}.pdf",
        f"la-2025-08-01-{ON}.pdf",
    ]
    assert all(f.pdf.read_bytes().startswith(b"%PDF") and f.html.exists() for f in files)
    # The year to date also holds A3's four weeks around its stage entry (28 of 40 attended):
    # (80 + 28) / (98 + 40) = 78.3 %.
    assert "LA total 10 78.3%" in _check_files(files[-1], settings)


class TestCli:
    @pytest.fixture
    def env(self, sqlite_url: str, tmp_path: Path) -> dict[str, str]:
        engine = get_engine(sqlite_url)
        _school_rows(engine)
        _pupil_rows(engine)
        return {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}

    def invoke(self, env: dict[str, str], *args: str) -> Any:
        import casework.cli  # noqa: F401  (registers every command, `report` among them)
        from casework.cli.app import app

        return CliRunner().invoke(app, list(args), env=env)

    def test_report_commands_print_the_html_and_pdf_paths_when_run(
        self, env: dict[str, str]
    ) -> None:
        period = ("--from", str(START), "--to", str(END), "--on", str(ON))
        for args, figure in (
            (("governors", "--school", URN_A, "--min-cohort", "3"), "84.5%"),  # school A
            (("la",), "81.6%"),  # the LA total; both schools are under the default 5
        ):
            result = self.invoke(env, "report", *args, *period)
            assert result.exit_code == 0, result.output
            html, pdf = (Path(line) for line in result.stdout.split())
            assert html.parent == pdf.parent == Path(env["PATHWAY_VAR_DIR"]) / "reports"
            assert pdf.read_bytes().startswith(b"%PDF")
            assert figure in html.read_text(encoding="utf-8")

    def test_report_governors_exits_1_when_the_school_is_unknown(self, env: dict[str, str]) -> None:
        result = self.invoke(env, "report", "governors", "--school", "999999", "--on", str(ON))
        assert result.exit_code == 1
        assert "no school with URN 999999" in result.stderr


ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts" / "reports"


def test_governors_report_pages_render_to_png_artefacts_when_built(
    la: Engine, tmp_path: Path
) -> None:
    """Each PDF page becomes a PNG under var/test-artefacts/ for a person to look at; every page
    carries ink (charts and tables drew), not a blank sheet."""
    files = build_governors_report(
        la,
        _settings(tmp_path),
        URN_A,
        start=START,
        end=END,
        on=ON,
        policy=load_policy(),
        min_cohort=1,
        weeks=2,
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(files.pdf)
    assert len(pdf) >= 2
    for index in range(len(pdf)):
        image = pdf[index].render(scale=1.0).to_pil().convert("L")
        image.save(ARTEFACTS / f"governors-{URN_A}-page-{index + 1}.png")
        darkest, _ = image.getextrema()
        assert darkest < 100, f"page {index + 1} is blank"
    pdf.close()
