"""What the pages show and do: the queue's order and filters, task forms, the case page and its
audit entry, letters, decisions, the audit page and exports, the LA overview.

One migrated SQLite database per module; each test makes its own school and accounts, so tests
do not see each other's rows. A few run on PostgreSQL too.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pypdfium2
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.db.migrate import upgrade
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import AuditEntry, Decision, Mark, School, Task
from notifications.messages import formatted_status
from tests.web_factories import (
    TODAY,
    TestClient,
    create_decision,
    create_letter,
    create_marks,
    create_message,
    create_pupil,
    create_school,
    create_stage_entry,
    create_task,
    create_user,
    sign_in,
    web_app,
    write_letter_pdf,
)

_urns = itertools.count(200001)
TASK_LINK = re.compile(r'<a href="/tasks/(\d+)">')


def _pdf_text(content: bytes) -> str:
    """A PDF's text, whitespace runs as single spaces."""
    document = pypdfium2.PdfDocument(content)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return re.sub(r"\s+", " ", text)


@dataclass
class Site:
    url: str
    engine: Engine
    app: FastAPI
    var_dir: Path

    def school(self) -> School:
        return create_school(self.engine, str(next(_urns)))

    def client(self, role: str, urn: str | None) -> tuple[TestClient, str, str]:
        """A signed-in client for a new account: (client, csrf token, email)."""
        email = f"{role}.{urn or 'la'}.{next(_urns)}@pathway.example.org"
        create_user(self.engine, email, role, urn)
        client = TestClient(self.app)
        return client, sign_in(client, email), email


def _site(url: str, var_dir: Path) -> Site:
    return Site(url, get_engine(url), web_app(url, var_dir), var_dir)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    var_dir = tmp_path_factory.mktemp("web_pages")
    url = f"sqlite:///{var_dir / 'pathway.db'}"
    upgrade(url)
    return _site(url, var_dir)


@pytest.fixture
def any_site(database_url: str, tmp_path: Path) -> Site:
    """A fresh site on SQLite and on PostgreSQL."""
    return _site(database_url, tmp_path / "var")


def _task_ids(html: str) -> list[int]:
    return [int(n) for n in TASK_LINK.findall(html)]


def _audit(engine: Engine, upn: str, kind: str = "case.viewed") -> list[AuditEntry]:
    with Session(engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.upn == upn, AuditEntry.kind == kind)
        return list(session.exec(stmt.order_by(col(AuditEntry.seq))))


class TestQueue:
    def test_queue_puts_severe_absence_first_then_overdue_then_earliest_due(
        self, site: Site
    ) -> None:
        """Priority desc, then overdue (by date or status), then due date; completed hidden."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        e = site.engine
        later = create_task(e, pupil, due_date=TODAY + timedelta(days=3))
        late_by_date = create_task(e, pupil, due_date=TODAY - timedelta(days=2))
        late_by_status = create_task(e, pupil, due_date=TODAY, status="overdue")
        due_today = create_task(e, pupil, due_date=TODAY)
        severe = create_task(e, pupil, due_date=TODAY + timedelta(days=5), priority=10)
        create_task(e, pupil, status="completed")
        client, _, _ = site.client("attendance_officer", school.urn)
        page = client.get("/tasks").text
        expected = [severe, late_by_date, late_by_status, due_today, later]
        assert _task_ids(page) == [t.id for t in expected]
        assert "<strong>5</strong> open tasks" in page
        assert re.search(r'<strong class="overdue">2</strong> overdue', page)
        assert "Severe absence" in page

    def test_my_queue_holds_my_roles_tasks_and_mine_by_name(self, site: Site) -> None:
        """'Mine' = assigned to me, or unassigned for a role I cover; 'all' shows the school."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        client, _, email = site.client("attendance_officer", school.urn)
        e = site.engine
        visit = create_task(e, pupil, kind="home_visit", owner_role="attendance_officer")
        call = create_task(e, pupil, kind="call_parent", owner_role="school_office")
        la_task = create_task(e, pupil, kind="taf_meeting", owner_role="la_officer")
        given_to_me = create_task(
            e, pupil, kind="cme_enquiry", owner_role="la_officer", owner_email=email
        )
        given_away = create_task(
            e,
            pupil,
            kind="plan_review",
            owner_role="attendance_officer",
            owner_email="someone.else@pathway.example.org",
        )
        mine = set(_task_ids(client.get("/tasks").text))
        assert mine == {visit.id, call.id, given_to_me.id}
        everyone = set(_task_ids(client.get("/tasks?owner=all").text))
        assert everyone == {visit.id, call.id, la_task.id, given_to_me.id, given_away.id}
        calls = client.get("/tasks?owner=all&kind=call_parent").text
        assert _task_ids(calls) == [call.id]
        assert "Call parent (1)" in calls

    def test_la_officer_filters_queue_by_school(self, site: Site) -> None:
        one, two = site.school(), site.school()
        in_one = create_task(
            site.engine, create_pupil(site.engine, one.urn), owner_role="la_officer"
        )
        in_two = create_task(
            site.engine, create_pupil(site.engine, two.urn), owner_role="la_officer"
        )
        client, _, _ = site.client("la_officer", None)
        assert _task_ids(client.get(f"/tasks?owner=all&school={one.urn}").text) == [in_one.id]
        assert _task_ids(client.get(f"/tasks?owner=all&school={two.urn}").text) == [in_two.id]

    def test_queue_pages_fifty_at_a_time(self, site: Site) -> None:
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        tasks = [
            create_task(site.engine, pupil, due_date=TODAY + timedelta(days=n % 7))
            for n in range(55)
        ]
        client, _, _ = site.client("attendance_officer", school.urn)
        first, second = client.get("/tasks").text, client.get("/tasks?page=2").text
        assert len(_task_ids(first)) == 50
        assert len(_task_ids(second)) == 5
        assert set(_task_ids(first)) | set(_task_ids(second)) == {t.id for t in tasks}
        assert "Page 2 of 2" in second


class TestTaskPage:
    def test_task_page_offers_the_outcomes_of_its_kind(self, site: Site) -> None:
        school = site.school()
        task = create_task(site.engine, create_pupil(site.engine, school.urn), kind="home_visit")
        client, _, _ = site.client("attendance_officer", school.urn)
        page = client.get(f"/tasks/{task.id}").text
        assert 'value="child_seen"' in page
        assert 'value="child_not_seen"' in page
        assert f'action="/tasks/{task.id}/ack"' in page

    @pytest.mark.parametrize(
        ("outcome", "message"),
        [("", "Choose the outcome"), ("paid", "is not one of child_seen, child_not_seen")],
    )
    def test_complete_refused_with_reason_when_outcome_missing_or_wrong(
        self, site: Site, outcome: str, message: str
    ) -> None:
        school = site.school()
        task = create_task(site.engine, create_pupil(site.engine, school.urn), kind="home_visit")
        client, token, _ = site.client("attendance_officer", school.urn)
        response = client.post(
            f"/tasks/{task.id}/complete", data={"csrf_token": token, "outcome": outcome}
        )
        assert response.status_code == 400
        assert message in response.text
        with Session(site.engine) as session:
            assert session.get(Task, task.id).status == "open"  # type: ignore[union-attr]

    def test_child_not_seen_opens_a_safeguarding_review(self, site: Site) -> None:
        """Completing a home visit as 'child not seen' sets the next step going (rule 8)."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        task = create_task(site.engine, pupil, kind="home_visit")
        client, token, email = site.client("attendance_officer", school.urn)
        response = client.post(
            f"/tasks/{task.id}/complete",
            data={"csrf_token": token, "outcome": "child_not_seen", "note": "No answer."},
        )
        assert response.status_code == 200
        assert "Task completed: Child not seen." in response.text
        with Session(site.engine) as session:
            kinds = session.exec(select(Task.kind).where(Task.upn == pupil.upn)).all()
        assert sorted(kinds) == ["home_visit", "safeguarding_review"]
        completed = _audit(site.engine, pupil.upn, "task.completed")
        assert [(a.actor, a.detail["outcome"]) for a in completed] == [(email, "child_not_seen")]

    def test_headteacher_assigns_to_a_colleague_in_the_school_only(self, site: Site) -> None:
        school, other = site.school(), site.school()
        task = create_task(site.engine, create_pupil(site.engine, school.urn))
        colleague = create_user(
            site.engine, f"dsl.{school.urn}@pathway.example.org", "attendance_officer", school.urn
        )
        stranger = create_user(
            site.engine, f"x.{other.urn}@pathway.example.org", "attendance_officer", other.urn
        )
        client, token, _ = site.client("headteacher", school.urn)
        refused = client.post(
            f"/tasks/{task.id}/assign", data={"csrf_token": token, "owner_email": stranger.email}
        )
        assert refused.status_code == 400
        done = client.post(
            f"/tasks/{task.id}/assign",
            data={"csrf_token": token, "owner_email": colleague.email},
            follow_redirects=False,
        )
        assert done.status_code == 303
        with Session(site.engine) as session:
            assert session.get(Task, task.id).owner_email == colleague.email  # type: ignore[union-attr]


class TestCasePage:
    def test_each_view_of_a_case_is_recorded_in_the_audit_trail(self, site: Site) -> None:
        """DOMAIN.md rule 30: every read of a case leaves a case.viewed entry naming the reader."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        client, _, email = site.client("school_staff", school.urn)
        assert client.get(f"/pupils/{pupil.upn}").status_code == 200
        assert client.get(f"/pupils/{pupil.upn.lower()}").status_code == 200
        views = _audit(site.engine, pupil.upn)
        assert [(v.actor, v.urn, v.kind) for v in views] == [(email, school.urn, "case.viewed")] * 2

    def test_measures_and_chart_come_from_the_latest_version_of_each_mark(self, site: Site) -> None:
        """36 present + 4 unexplained = 90.0 % (persistent); amending one N lifts it to 92.5 %."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        marks = create_marks(site.engine, pupil, " ".join(["/"] * 36 + ["N"] * 4))
        client, _, _ = site.client("attendance_officer", school.urn)
        page = client.get(f"/pupils/{pupil.upn}").text
        assert "90.0%" in page
        assert "Persistent absence" in page
        assert page.count('<rect class="bar') >= 4
        assert '<title id="chart-title">Weekly attendance</title>' in page
        last = marks[-1]
        with unit_of_work(site.engine) as session:
            session.add(
                Mark(
                    upn=pupil.upn,
                    urn=pupil.urn,
                    school_date=last.school_date,
                    session=last.session,
                    code="/",
                    original_code="/",
                    recorded_at=datetime.combine(last.school_date, time(15), UTC),
                )
            )
        amended = client.get(f"/pupils/{pupil.upn}").text
        assert "92.5%" in amended
        assert "Persistent absence</span>" not in amended

    def test_case_page_without_marks_says_so(self, site: Site) -> None:
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        client, _, _ = site.client("attendance_officer", school.urn)
        page = client.get(f"/pupils/{pupil.upn}").text
        assert "No register marks for this pupil since 1 August 2025" in page
        assert "<svg" not in page

    def test_case_page_shows_stages_messages_with_delivery_status_and_letters(
        self, site: Site
    ) -> None:
        school = site.school()
        pupil = create_pupil(site.engine, school.urn, sen_status="E")
        create_stage_entry(site.engine, pupil, stage="attendance_plan")
        create_message(site.engine, pupil, channel="sms", status="permanent_failure")
        letter = create_letter(
            site.engine, pupil, path=write_letter_pdf(site.var_dir / "letters", "case-page.pdf")
        )
        client, _, _ = site.client("attendance_officer", school.urn)
        page = client.get(f"/pupils/{pupil.upn}").text
        assert "Attendance plan" in page
        assert formatted_status("sms", "permanent_failure") in page
        assert f'href="/letters/{letter.id}"' in page
        assert "Education, health and care plan (EHCP)" in page


class TestLetters:
    def test_letter_download_is_a_pdf_and_recorded_as_a_read(self, site: Site) -> None:
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        name = write_letter_pdf(site.var_dir / "letters", f"letter-{school.urn}.pdf")
        letter = create_letter(site.engine, pupil, path=name)
        client, _, email = site.client("attendance_officer", school.urn)
        response = client.get(f"/letters/{letter.id}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        views = _audit(site.engine, pupil.upn)
        assert [(v.actor, v.detail.get("letter_id")) for v in views] == [(email, letter.id)]

    @pytest.mark.parametrize("stored", ["../pathway.db", "/etc/passwd", "missing.pdf"])
    def test_letter_outside_the_letters_folder_or_missing_is_not_found(
        self, site: Site, stored: str
    ) -> None:
        school = site.school()
        letter = create_letter(site.engine, create_pupil(site.engine, school.urn), path=stored)
        client, _, _ = site.client("attendance_officer", school.urn)
        assert client.get(f"/letters/{letter.id}").status_code == 404


class TestDecisions:
    def test_decision_page_shows_evidence_and_the_factors_to_weigh(self, site: Site) -> None:
        school = site.school()
        decision = create_decision(
            site.engine,
            create_pupil(site.engine, school.urn),
            context={"unauthorised_sessions": 14},
        )
        client, _, _ = site.client("headteacher", school.urn)
        summary = client.get("/decisions").text
        assert f'href="/decisions/{decision.id}"' in summary
        assert 'name="reason"' not in summary  # one decision per page, not every form at once
        page = client.get(f"/decisions/{decision.id}").text
        assert f'action="/decisions/{decision.id}"' in page
        assert "Unauthorised sessions" in page
        for field in (
            "support_offered",
            "support_engaged",
            "send_or_medical",
            "welfare_safeguarding",
            "social_care",
            "support_considered",
            "reason",
        ):
            assert f'name="{field}"' in page

    def test_prosecution_decision_asks_about_eso_and_attendance_contract(self, site: Site) -> None:
        """Rule 26: before a prosecution, an ESO considered and a contract explored."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        penalty = create_decision(site.engine, pupil)
        prosecution = create_decision(site.engine, pupil, stage="prosecution")
        client, _, _ = site.client("la_officer", None)
        page = client.get(f"/decisions/{prosecution.id}").text
        assert f'id="eso_considered-{prosecution.id}"' in page
        assert f'id="contract_explored-{prosecution.id}"' in page
        assert "eso_considered" not in client.get(f"/decisions/{penalty.id}").text

    def test_eso_decision_page_says_what_applying_sets_going(self, site: Site) -> None:
        """Rule 38: an ESO decision is a page like the others, with its own effects and no
        prosecution time limit (an application to the family court lays no information)."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        context = {"period_start": "2025-11-10", "period_end": "2025-11-14", "sessions": "10"}
        context["last_absence_date"] = "2025-11-14"
        eso = create_decision(
            site.engine, pupil, stage="education_supervision_order", context=context
        )
        client, _, _ = site.client("la_officer", None)
        response = client.get(f"/decisions/{eso.id}")
        assert response.status_code == 200
        assert "Education Supervision Order" in response.text
        assert "applies to the family court" in response.text
        assert "Unpaid penalty notices are marked for prosecution" not in response.text
        assert f'id="eso_considered-{eso.id}"' not in response.text

    def test_decision_page_offers_no_form_to_an_auditor(self, site: Site) -> None:
        school = site.school()
        decision = create_decision(site.engine, create_pupil(site.engine, school.urn))
        client, _, _ = site.client("auditor", school.urn)
        page = client.get(f"/decisions/{decision.id}").text
        assert "can read decisions but not make them" in page
        assert 'name="reason"' not in page

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"outcome": "approve", "reason": "  "}, "Give the reason"),
            ({"reason": "Threshold met"}, "Choose whether to approve or decline"),
        ],
    )
    def test_decision_without_reason_or_choice_is_refused_and_nothing_changes(
        self, site: Site, form: dict[str, str], message: str
    ) -> None:
        school = site.school()
        decision = create_decision(site.engine, create_pupil(site.engine, school.urn))
        client, token, _ = site.client("headteacher", school.urn)
        response = client.post(f"/decisions/{decision.id}", data={"csrf_token": token, **form})
        assert response.status_code == 400
        assert message in response.text
        with Session(site.engine) as session:
            assert session.get(Decision, decision.id).status == "requested"  # type: ignore[union-attr]

    def test_headteacher_declines_with_reason_and_factors_recorded(self, site: Site) -> None:
        """Declining records who, the reason and the factors weighed (DOMAIN.md rule 27)."""
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        decision = create_decision(site.engine, pupil)
        client, token, email = site.client("headteacher", school.urn)
        form = {
            "csrf_token": token,
            "outcome": "decline",
            "reason": "Family now engaging with the attendance plan.",
            "support_offered": "Attendance plan and early help",
            "support_engaged": "Yes, since November",
            "support_considered": "yes",
        }
        response = client.post(f"/decisions/{decision.id}", data=form, follow_redirects=False)
        assert response.status_code == 303, response.text[:2000]
        with Session(site.engine) as session:
            row = session.get(Decision, decision.id)
        assert row is not None
        assert (row.status, row.decided_by, row.reason) == (
            "declined",
            email,
            "Family now engaging with the attendance plan.",
        )


class TestAuditPage:
    def test_audit_export_of_a_school_user_holds_only_their_school(self, site: Site) -> None:
        """A school's auditor asking for another school still gets only their own entries."""
        mine, theirs = site.school(), site.school()
        for school in (mine, theirs):
            pupil = create_pupil(site.engine, school.urn)
            viewer, _, _ = site.client("attendance_officer", school.urn)
            viewer.get(f"/pupils/{pupil.upn}")
        client, _, email = site.client("auditor", mine.urn)
        response = client.get(f"/audit/export?format=jsonl&school={theirs.urn}")
        assert response.status_code == 200
        records = [json.loads(line) for line in response.text.splitlines()]
        assert records
        assert {r["urn"] for r in records} == {mine.urn}
        with Session(site.engine) as session:
            last = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()
        assert last is not None
        assert (last.kind, last.actor, last.detail["page"]) == (
            "case.viewed",
            email,
            "audit_export",
        )

    def test_audit_page_reports_the_chain_intact_then_broken_after_tampering(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """The page checks what is new since its last check; the whole chain on request, which
        says where it breaks."""
        own = _site(sqlite_url, tmp_path / "var")
        school = own.school()
        pupil = create_pupil(own.engine, school.urn)
        client, _, _ = own.client("la_officer", None)
        client.get(f"/pupils/{pupil.upn}")
        client.get(f"/pupils/{pupil.upn}")
        first = html.unescape(client.get("/audit").text)
        assert "All 2 entries are intact" in first
        client.get(f"/pupils/{pupil.upn}")
        again = html.unescape(client.get("/audit").text)
        assert "The 1 entry added since the last check" in again
        with unit_of_work(own.engine) as session:
            entry = session.get(AuditEntry, 1)
            assert entry is not None
            entry.actor = "someone.else@pathway.example.org"
        page = client.get("/audit?verify=full").text
        assert "The audit chain is broken at entry 1." in page
        with unit_of_work(own.engine) as session:
            head = session.get(AuditEntry, 3)
            assert head is not None
            head.hash = "0" * 64  # the head the last check ended on, no longer as verified
        moved = html.unescape(client.get("/audit").text)
        assert "The audit chain no longer matches its record at entry 3." in moved

    def test_audit_pdf_states_the_check_it_made_like_the_page(
        self, tmp_path: Path, sqlite_url: str
    ) -> None:
        """The PDF download checks the chain after the last verified head, as the page does;
        after "Verify the whole chain" its link asks for a whole check, and the PDF says so."""
        own = _site(sqlite_url, tmp_path / "var")
        school = own.school()
        pupil = create_pupil(own.engine, school.urn)
        client, _, _ = own.client("la_officer", None)
        client.get(f"/pupils/{pupil.upn}")
        client.get("/audit")  # verifies entry 1 and records it as the head
        client.get(f"/pupils/{pupil.upn}")
        response = client.get(f"/audit/export?format=pdf&school={school.urn}")
        assert response.headers["content-type"] == "application/pdf"
        text = _pdf_text(response.content)
        assert "verified: all 2 entries intact (entries after seq 1 checked now;" in text
        assert f"School (URN): {school.urn}" in text
        page = html.unescape(client.get("/audit?verify=full").text)
        assert "/audit/export?format=pdf&verify=full" in page
        full = _pdf_text(client.get("/audit/export?format=pdf&verify=full").content)
        assert "intact (every entry checked now)." in full


class TestOverview:
    def test_overview_counts_bands_open_and_overdue_tasks_per_school(self, site: Site) -> None:
        school = site.school()
        severe = create_pupil(site.engine, school.urn)
        persistent = create_pupil(site.engine, school.urn)
        create_stage_entry(site.engine, severe, stage="severe_absence_plan")
        create_stage_entry(site.engine, persistent, stage="attendance_plan")
        create_task(site.engine, severe, due_date=TODAY - timedelta(days=1))
        create_task(site.engine, persistent, due_date=TODAY + timedelta(days=1))
        create_decision(site.engine, severe)
        client, _, _ = site.client("headteacher", school.urn)
        page = client.get("/overview").text
        row = re.search(rf"URN {school.urn}</small></th>(.*?)</tr>", page, re.S)
        assert row is not None
        cells = re.findall(r"<td[^>]*>(?:<a [^>]*>)?(\d+)", row.group(1))
        # pupils, persistent and severe absence measured (no marks: none), then the caseload:
        # severe plan, attendance plan, concern; open tasks, overdue, decisions waiting
        assert cells == ["2", "0", "0", "1", "1", "0", "2", "1", "1"]


class TestBothDatabases:
    def test_queue_case_page_and_audit_work_the_same(self, any_site: Site) -> None:
        """The queue, the case page (with its audit entry) and the audit page on SQLite and PG."""
        school = any_site.school()
        pupil = create_pupil(any_site.engine, school.urn)
        create_marks(any_site.engine, pupil, "/ / / N")
        task = create_task(any_site.engine, pupil, priority=10)
        client, _, email = any_site.client("la_officer", None)
        assert _task_ids(client.get("/tasks?owner=all").text) == [task.id]
        assert "75.0%" in client.get(f"/pupils/{pupil.upn}").text
        assert [v.actor for v in _audit(any_site.engine, pupil.upn)] == [email]
        assert "Chain verified." in client.get("/audit").text


class TestAccessibility:
    PAGES = (
        "/tasks",
        "/tasks/{task}",
        "/pupils/{upn}",
        "/decisions",
        "/decisions/{decision}",
        "/letters-to-post",
        "/referrals",
        "/audit",
        "/overview",
    )

    def test_every_visible_field_has_a_label_and_pages_have_one_h1(self, site: Site) -> None:
        school = site.school()
        pupil = create_pupil(site.engine, school.urn)
        create_marks(site.engine, pupil, "/ / N /")
        task = create_task(site.engine, pupil)
        decision = create_decision(site.engine, pupil)
        client, _, _ = site.client("headteacher", school.urn)
        for path in self.PAGES:
            html = client.get(path.format(task=task.id, upn=pupil.upn, decision=decision.id)).text
            ids = re.findall(
                r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', html
            )
            fields = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")', html)
            assert len(ids) == len(fields), path
            for field_id in ids:
                assert f'for="{field_id}"' in html, (path, field_id)
            assert html.count("<h1") == 1, path
            assert 'href="#main"' in html


def test_decisions_as_of_a_day_show_what_was_waiting_and_decided_then(
    tmp_path: Path, sqlite_url: str
) -> None:
    """PATHWAY_AS_OF: a decision asked for later is not there yet; one decided later still
    waits; only what was decided by then is in 'Recently decided'."""
    as_of = TODAY - timedelta(days=7)
    var_dir = tmp_path / "var"
    past = Site(
        sqlite_url, get_engine(sqlite_url), web_app(sqlite_url, var_dir, as_of=as_of), var_dir
    )
    school = past.school()
    pupils = [create_pupil(past.engine, school.urn) for _ in range(3)]
    asked_later = create_decision(past.engine, pupils[0], requested_date=TODAY)
    decided_later = create_decision(
        past.engine,
        pupils[1],
        requested_date=as_of - timedelta(days=3),
        status="approved",
        decided_date=TODAY,
        decided_by="head@school.example",
        reason="Approved after the day shown",
    )
    decided_before = create_decision(
        past.engine,
        pupils[2],
        requested_date=as_of - timedelta(days=10),
        status="declined",
        decided_date=as_of - timedelta(days=1),
        decided_by="head@school.example",
        reason="Declined before the day shown",
    )
    client, _, _ = past.client("la_officer", None)
    page = html.unescape(client.get("/decisions").text)
    assert f'href="/decisions/{asked_later.id}"' not in page
    waiting, _, recent = page.partition("Recently decided")
    assert "Waiting for a decision (1)" in waiting
    assert f'href="/decisions/{decided_later.id}"' in waiting
    assert "Approved after the day shown" not in recent
    assert "Declined before the day shown" in recent
    assert f'href="/decisions/{decided_before.id}"' in recent
    one = html.unescape(client.get(f"/decisions/{decided_later.id}").text)
    assert "This decision was waiting on the day shown." in one
    assert f'action="/decisions/{decided_later.id}"' not in one  # no form the app would refuse
