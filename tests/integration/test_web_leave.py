"""Leave of absence on the web: the school office's form and the headteacher's decision in the
decisions queue (DOMAIN rule 32), on the real app and a migrated SQLite database."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.db.tables import CalendarEntry, Decision, LeaveApplication, Message, Pupil
from tests.web_factories import (
    NOW,
    _save,
    create_contact,
    create_pupil,
    create_school,
    create_stage_entry,
    create_task,
    create_user,
    sign_in,
    web_app,
)

_serial = itertools.count(300001)
TODAY = NOW.date()


@pytest.fixture
def site(tmp_path: Path) -> tuple[Engine, object]:
    url = f"sqlite:///{tmp_path / 'pathway.db'}"
    upgrade(url)
    engine = get_engine(url)
    # A term around the web app's fixed clock, so the leave's dates hold school days.
    _save(engine, CalendarEntry(entry_date=TODAY - timedelta(days=40), kind="term_start"))
    _save(engine, CalendarEntry(entry_date=TODAY + timedelta(days=60), kind="term_end"))
    return engine, web_app(url, tmp_path / "var")


def _pupil(engine: Engine) -> Pupil:
    school = create_school(engine, str(next(_serial)))
    pupil = create_pupil(engine, school.urn)
    create_contact(engine, pupil)
    return pupil


def _client(engine: Engine, app: object, role: str, urn: str | None) -> tuple[TestClient, str]:
    email = f"{role}.{next(_serial)}@pathway.example.org"
    create_user(engine, email, role, urn)
    client = TestClient(app)  # type: ignore[arg-type]
    return client, sign_in(client, email)


def _monday_after(weeks: int) -> str:
    day = TODAY + timedelta(weeks=weeks)
    return (day - timedelta(days=day.weekday())).isoformat()


def test_the_office_records_an_application_and_the_headteacher_refuses_it(
    site: tuple[Engine, object],
) -> None:
    engine, app = site
    pupil = _pupil(engine)
    office, token = _client(engine, app, "school_staff", pupil.urn)
    assert 'name="leave_from"' in office.get(f"/pupils/{pupil.upn}/leave").text
    form = {
        "csrf_token": token,
        "leave_from": _monday_after(2),
        "leave_to": _monday_after(2),
        "reason": "grandparent's funeral abroad",
    }
    done = office.post(f"/pupils/{pupil.upn}/leave", data=form, follow_redirects=False)
    assert done.status_code == 303
    with Session(engine) as db:
        application = db.exec(
            select(LeaveApplication).where(LeaveApplication.upn == pupil.upn)
        ).one()
    head, head_token = _client(engine, app, "headteacher", pupil.urn)
    assert f'href="/decisions/{application.decision_id}"' in head.get("/decisions").text
    queue = head.get(f"/decisions/{application.decision_id}").text
    assert f'action="/decisions/{application.decision_id}"' in queue
    assert "Refuse the leave" in queue
    assert f'id="support_offered-{application.decision_id}"' not in queue  # no legal factors
    refused = head.post(
        f"/decisions/{application.decision_id}",
        data={"csrf_token": head_token, "outcome": "decline", "reason": "not exceptional"},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    with Session(engine) as db:
        decision = db.get(Decision, application.decision_id)
        letters = db.exec(select(Message).where(Message.upn == pupil.upn)).all()
    assert decision is not None
    assert decision.status == "declined"
    assert decision.decided_by is not None
    assert decision.decided_by.startswith("headteacher.")
    assert [m.template for m in letters] == ["leave_of_absence/refusal"]


def test_bad_dates_show_the_reason_and_record_nothing(site: tuple[Engine, object]) -> None:
    engine, app = site
    pupil = _pupil(engine)
    office, token = _client(engine, app, "school_staff", pupil.urn)
    form = {
        "csrf_token": token,
        "leave_from": _monday_after(3),
        "leave_to": _monday_after(2),
        "reason": "x",
    }
    response = office.post(f"/pupils/{pupil.upn}/leave", data=form)
    assert response.status_code == 400
    assert "before it starts" in response.text
    with Session(engine) as db:
        assert db.exec(select(LeaveApplication)).all() == []


@pytest.mark.parametrize("role", ["auditor", "la_officer"])
def test_only_the_headteacher_may_decide_leave_and_an_auditor_may_not_record_it(
    site: tuple[Engine, object], role: str
) -> None:
    engine, app = site
    pupil = _pupil(engine)
    office, token = _client(engine, app, "school_staff", pupil.urn)
    form = {
        "csrf_token": token,
        "leave_from": _monday_after(2),
        "leave_to": _monday_after(2),
        "reason": "x",
    }
    office.post(f"/pupils/{pupil.upn}/leave", data=form)
    with Session(engine) as db:
        application = db.exec(select(LeaveApplication)).one()
    other, other_token = _client(engine, app, role, pupil.urn if role == "auditor" else None)
    answer = other.post(
        f"/decisions/{application.decision_id}",
        data={"csrf_token": other_token, "outcome": "approve", "reason": "fine"},
    )
    assert answer.status_code == 403
    if role == "auditor":
        assert other.get(f"/pupils/{pupil.upn}/leave").status_code == 403


def test_the_la_overview_lists_pupils_on_a_part_time_timetable_and_for_how_long(
    site: tuple[Engine, object],
) -> None:
    engine, app = site
    pupil = _pupil(engine)
    create_stage_entry(
        engine,
        pupil,
        stage="part_time_timetable",
        key=f"{pupil.upn}:part_time_timetable:x",
        entered_date=TODAY - timedelta(days=22),
    )
    client, _ = _client(engine, app, "la_officer", None)
    page = client.get("/overview").text
    assert "Pupils on a part-time timetable (1)" in page
    assert f'href="/pupils/{pupil.upn}"' in page
    assert "3 weeks" in page


def test_the_case_page_shows_the_enquiries_made(site: tuple[Engine, object]) -> None:
    engine, app = site
    pupil = _pupil(engine)
    create_task(
        engine,
        pupil,
        kind="cme_enquiry",
        status="completed",
        outcome="not_located",
        completed_date=TODAY,
        note="Home visit 3 Oct, neighbours say family moved; LA checked admissions: no trace.",
    )
    client, _ = _client(engine, app, "headteacher", pupil.urn)
    page = client.get(f"/pupils/{pupil.upn}").text
    assert "Enquiries about where the pupil is" in page
    assert "neighbours say family moved" in page
    assert "Not located" in page
