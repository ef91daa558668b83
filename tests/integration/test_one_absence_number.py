"""One persistent-absence number (issue 23): the overview page, the governors' report and the
demo's summary count the same pupils for the same school and date.

The school, as of Wed 19 Nov 2025 (the web tests' TODAY):
  exactly_90  18 / + 2 N over 20 sessions, the last one today  -> persistent (90.0 % counts)
  severe      2 / + 8 N over 10 sessions                       -> persistent and severe, though
              fewer than `min_possible_sessions` (rule 5 holds back letters, not the measure)
  on_plan     28 / + 2 N over 30 sessions (93.3 %), attendance plan still open -> caseload only
  amended     19 / + 1 N over 20 sessions; a slot amended to O the day after -> not yet
  last_year   absent all July 2025, no session this year       -> counted nowhere
So: 4 pupils measured, 2 persistently absent, 1 of them severely.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from casework.cli.demo_report import print_report
from casework.core.measure_definitions import AbsenceCount
from casework.core.policy import load_policy
from casework.db.migrate import upgrade
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import CalendarEntry, Mark
from casework.db.weekly_tallies import refresh_tallies
from casework.service.demo.synthetic_la import DemoPlan, school_figures
from casework.service.reports import build_governors_report
from casework.settings import LONDON
from tests.factories import TERMS
from tests.web_factories import (
    TODAY,
    TestClient,
    create_marks,
    create_pupil,
    create_school,
    create_stage_entry,
    create_user,
    sign_in,
    web_app,
    web_settings,
)

URN = "100001"
EXPECTED = AbsenceCount(pupils=4, persistent=2, severe=1)


def _dataset(engine: Engine) -> None:
    create_school(engine, URN)
    with unit_of_work(engine) as db:
        for first, last in TERMS:
            db.add(CalendarEntry(urn="", entry_date=date.fromisoformat(first), kind="term_start"))
            db.add(CalendarEntry(urn="", entry_date=date.fromisoformat(last), kind="term_end"))
    create_marks(engine, create_pupil(engine, URN), "/ " * 18 + "N N", ending=TODAY)
    create_marks(engine, create_pupil(engine, URN), "/ / " + "N " * 8)
    on_plan = create_pupil(engine, URN)
    create_marks(engine, on_plan, "/ " * 28 + "N N")
    create_stage_entry(engine, on_plan, stage="attendance_plan")
    amended = create_pupil(engine, URN)
    earliest, *_ = create_marks(engine, amended, "/ " * 19 + "N")
    with unit_of_work(engine) as db:
        db.add(
            Mark(
                upn=amended.upn,
                urn=URN,
                school_date=earliest.school_date,
                session=earliest.session,
                code="O",
                original_code="O",
                recorded_at=datetime.combine(TODAY + timedelta(days=1), time(9), UTC),
            )
        )
    create_marks(engine, create_pupil(engine, URN), "N " * 20, ending=date(2025, 7, 18))
    with unit_of_work(engine) as db:
        refresh_tallies(db, URN, TODAY)  # as a sweep would: whole weeks read from the tallies


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path]:
    var_dir = tmp_path_factory.mktemp("one_number")
    url = f"sqlite:///{var_dir / 'pathway.db'}"
    upgrade(url)
    engine = get_engine(url)
    _dataset(engine)
    return engine, var_dir


def _overview_cells(engine: Engine, var_dir: Path) -> list[str]:
    url = str(engine.url)
    create_user(engine, "la@pathway.example.org", "la_officer", None)
    client = TestClient(web_app(url, var_dir))
    sign_in(client, "la@pathway.example.org")
    page = client.get("/overview").text
    row = re.search(rf"URN {URN}</small></th>(.*?)</tr>", page, re.S)
    assert row is not None
    return re.findall(r"<td[^>]*>(?:<a [^>]*>)?(\d+)", row.group(1))


def _report_cells(engine: Engine, var_dir: Path) -> list[str]:
    settings = web_settings(str(engine.url), var_dir)
    files = build_governors_report(
        engine, settings, URN, on=TODAY, policy=load_policy(settings.policy_file), min_cohort=1
    )
    html = files.html.read_text(encoding="utf-8")
    row = re.search(r"<th[^>]*>This school</th>(.*?)</tr>", html, re.S)
    assert row is not None, "the report's whole-school row"
    return re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))


class TestOnePersistentAbsenceNumber:
    def test_overview_report_and_demo_summary_agree_when_given_one_dataset(
        self, site: tuple[Engine, Path]
    ) -> None:
        """The same school on the same date shows one persistent (and severe) absence count."""
        engine, var_dir = site
        # pupils on roll, persistent, severe, then the caseload columns
        assert _overview_cells(engine, var_dir)[:4] == ["5", "2", "1", "0"]
        report = _report_cells(engine, var_dir)
        # pupils measured ... persistent absence, severe absence (pupils' share and count)
        assert (report[0], report[5], report[6]) == ("4", "50.0% (2)", "25.0% (1)")
        (demo,) = school_figures(engine, TODAY, LONDON)
        assert demo.absence == EXPECTED

    def test_demo_summary_prints_the_count_beside_its_definition(
        self, site: tuple[Engine, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The demo's summary line shows the same number, under the definition it counts."""
        engine, var_dir = site
        settings = web_settings(str(engine.url), var_dir)
        plan = DemoPlan(end=TODAY)
        print_report(engine, plan, load_policy(settings.policy_file), settings)
        out = capsys.readouterr().out
        assert "persistent absence: A pupil who missed 10% or more" in out
        assert "persistent 2 of 4 pupils (of whom severe 1)" in out
        ids = out.split("stages entered:", 1)[1].split("Letters rendered", 1)[0]
        assert "_" not in ids  # labels, never stage, channel or status ids
