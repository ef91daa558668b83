"""Two officers at once, through the web: the second POST is refused on the page, nothing written.

Issue 18. The races themselves are in test_concurrent_writes.py; here two signed-in browsers
(TestClients) post to the same decision or task, once one after the other from pages loaded
before either wrote, and once at the same instant from two threads.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.db.session import get_engine
from casework.db.tables import AuditEntry, Decision, Task
from tests.integration.race import side_by_side
from tests.web_factories import (
    TestClient,
    create_decision,
    create_pupil,
    create_school,
    create_task,
    create_user,
    sign_in,
    web_app,
)

_serial = itertools.count(1)


class Browsers:
    def __init__(self, url: str, var_dir: Path) -> None:
        self.engine: Engine = get_engine(url)
        self.app = web_app(url, var_dir)

    def officer(self, role: str, urn: str) -> tuple[TestClient, str, str]:
        email = f"{role}.{next(_serial)}@pathway.example.org"
        create_user(self.engine, email, role, urn)
        client = TestClient(self.app)
        return client, sign_in(client, email), email


@pytest.fixture
def web(database_url: str, tmp_path: Path) -> Browsers:
    return Browsers(database_url, tmp_path / "var")


def _entries(engine: Engine, kind: str) -> list[AuditEntry]:
    with Session(engine) as db:
        return list(db.exec(select(AuditEntry).where(AuditEntry.kind == kind)))


def _decline(client: TestClient, token: str, decision_id: int) -> tuple[int, str]:
    form = {
        "csrf_token": token,
        "outcome": "decline",
        "reason": "Family now engaging with the attendance plan.",
        "support_considered": "yes",
    }
    response = client.post(f"/decisions/{decision_id}", data=form, follow_redirects=False)
    return response.status_code, html.unescape(response.text)


def test_second_decision_is_refused_with_who_decided_first(web: Browsers) -> None:
    school = create_school(web.engine, "300001")
    decision = create_decision(web.engine, create_pupil(web.engine, school.urn))
    first, first_token, first_email = web.officer("headteacher", school.urn)
    second, second_token, _ = web.officer("headteacher", school.urn)
    assert f'href="/decisions/{decision.id}"' in second.get("/decisions").text  # both see it
    assert _decline(first, first_token, decision.id or 0)[0] == 303
    status, page = _decline(second, second_token, decision.id or 0)
    assert status == 400
    assert "Your decision was not recorded" in page
    assert f"this decision was already declined by {first_email} at " in page
    assert len(_entries(web.engine, "decision.declined")) == 1


def test_two_declines_at_the_same_instant_one_is_recorded(web: Browsers) -> None:
    school = create_school(web.engine, "300002")
    decision = create_decision(web.engine, create_pupil(web.engine, school.urn))
    (a, a_token, _), (b, b_token, _) = (web.officer("headteacher", school.urn) for _ in "ab")
    replies: list[tuple[int, str]] = []
    side_by_side(
        lambda: replies.append(_decline(a, a_token, decision.id or 0)),
        lambda: replies.append(_decline(b, b_token, decision.id or 0)),
    )
    assert sorted(status for status, _ in replies) == [303, 400]
    refused = next(page for status, page in replies if status == 400)
    assert "this decision was already declined by " in refused
    assert len(_entries(web.engine, "decision.declined")) == 1
    with Session(web.engine) as db:
        row = db.get(Decision, decision.id)
        assert row is not None
        assert row.status == "declined"


def test_second_completion_of_a_home_visit_is_refused(web: Browsers) -> None:
    school = create_school(web.engine, "300003")
    task = create_task(web.engine, create_pupil(web.engine, school.urn), kind="home_visit")
    first, first_token, first_email = web.officer("attendance_officer", school.urn)
    second, second_token, _ = web.officer("attendance_officer", school.urn)
    url = f"/tasks/{task.id}/complete"
    done = first.post(url, data={"csrf_token": first_token, "outcome": "child_seen"})
    assert done.status_code == 200
    refused = second.post(url, data={"csrf_token": second_token, "outcome": "child_not_seen"})
    assert refused.status_code == 409
    assert f"this task was completed by {first_email} at " in html.unescape(refused.text)
    with Session(web.engine) as db:
        row = db.get(Task, task.id)
        assert row is not None
        assert (row.status, row.outcome) == ("completed", "child_seen")
    assert len(_entries(web.engine, "task.completed")) == 1


def test_assignment_from_an_out_of_date_page_is_refused(web: Browsers) -> None:
    school = create_school(web.engine, "300004")
    task = create_task(web.engine, create_pupil(web.engine, school.urn))
    colleague = create_user(
        web.engine, "dsl.300004@pathway.example.org", "attendance_officer", "300004"
    )
    first, first_token, first_email = web.officer("headteacher", school.urn)
    second, second_token, _ = web.officer("headteacher", school.urn)
    assert 'name="seen_owner" value="nobody"' in second.get(f"/tasks/{task.id}").text
    form = {"owner_email": colleague.email, "seen_owner": "nobody"}
    url = f"/tasks/{task.id}/assign"
    assert first.post(url, data={"csrf_token": first_token, **form}).status_code == 200
    refused = second.post(url, data={"csrf_token": second_token, **form})
    assert refused.status_code == 409
    page = html.unescape(refused.text)
    assert f"this task was assigned to {colleague.email} by {first_email} at " in page
    assert len(_entries(web.engine, "task.assigned")) == 1
