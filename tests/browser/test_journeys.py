"""Caseworker and auditor journeys in real headless Chromium against the served app.

Each test saves a screenshot of its main page under <var>/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from casework.db.tables import AuditEntry, Decision, PenaltyNotice, Task
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _task(site: LiveSite, task_id: int | None) -> Task:
    with Session(site.seeded.engine) as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task


def test_officer_acknowledges_and_completes_a_home_visit(page: Page, live_site: LiveSite) -> None:
    """Sign in, open the home visit from the queue, acknowledge it, record 'child seen'."""
    sign_in(page, live_site, "officer_a")
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    save_screenshot(page, "task_queue")
    assert_accessible(page)
    visit = live_site.seeded.visit
    page.locator(f'a[href="/tasks/{visit.id}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Home visit: Amelia Hartley")
    assert_accessible(page)

    page.get_by_role("button", name="Acknowledge task").click()
    expect(page.get_by_role("status").first).to_have_text("Task acknowledged.")
    assert _task(live_site, visit.id).status == "acknowledged"

    page.get_by_label("Outcome", exact=True).select_option("child_seen")
    page.get_by_label("Note (optional)").fill("Seen at home with mum; back on Monday.")
    page.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("status").first).to_have_text("Task completed: Child seen.")
    save_screenshot(page, "task_completed")

    task = _task(live_site, visit.id)
    assert (task.status, task.outcome) == ("completed", "child_seen")
    with Session(live_site.seeded.engine) as session:
        kinds = session.exec(
            select(AuditEntry.kind).where(
                AuditEntry.upn == task.upn, AuditEntry.actor == "officer@a.example.org"
            )
        ).all()
    assert {"task.acknowledged", "task.completed"} <= set(kinds)


def test_headteacher_approves_a_penalty_notice_with_a_reason(
    page: Page, live_site: LiveSite
) -> None:
    """The headteacher weighs the factors, approves, and the reason is recorded."""
    sign_in(page, live_site, "head_a")
    decision = live_site.seeded.decision
    page.goto(live_site.url(f"/decisions/{decision.id}"))
    form = page.locator(f"#decision-{decision.id}")
    form.get_by_label("What support was offered to the family?").fill(
        "Attendance plan, home visits, early help offer."
    )
    form.get_by_label("Did the family engage with that support?").fill("Not after October.")
    form.get_by_label("SEND, EHCP or medical needs").fill("None known.")
    form.get_by_label("Welfare and safeguarding considerations").fill("No concerns.")
    form.get_by_label("Social care involvement").fill("None.")
    form.get_by_label("I have considered whether support was offered").check()
    # Rule 39: the gaps in support are shown and the approval confirms them, gaps or none.
    form.get_by_label("and confirm this step should go ahead").check()
    form.get_by_label("Approve: take this step").check()
    form.get_by_label("Reason (required)").fill("Threshold met and support was not engaged with.")
    save_screenshot(page, "decision_form")
    assert_accessible(page)
    form.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Penalty notice approved")
    with Session(live_site.seeded.engine) as session:
        row = session.get(Decision, decision.id)
        assert row is not None
        assert (row.status, row.decided_by) == ("approved", "head@a.example.org")
        assert row.reason == "Threshold met and support was not engaged with."
        notices = session.exec(
            select(PenaltyNotice).where(PenaltyNotice.decision_id == decision.id)
        ).all()
    # One parent with parental responsibility: one notice, the first (DOMAIN.md rule 21).
    assert [(n.sequence, n.amount_pence) for n in notices] == [(1, 16000)]


def test_auditor_reads_the_case_but_cannot_change_anything(page: Page, live_site: LiveSite) -> None:
    """No forms for an auditor, and a hand-made POST with a valid token is still 403."""
    sign_in(page, live_site, "auditor_a")
    pupil = live_site.seeded.pupil_a
    page.goto(live_site.url(f"/pupils/{pupil.upn}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Amelia Hartley")
    expect(page.get_by_role("img", name="Weekly attendance")).to_be_visible()
    save_screenshot(page, "case_page_auditor")
    assert_accessible(page)

    with Session(live_site.seeded.engine) as session:
        open_task = session.exec(
            select(Task).where(Task.upn == pupil.upn, Task.status == "open")
        ).first()
    assert open_task is not None
    page.goto(live_site.url(f"/tasks/{open_task.id}"))
    expect(page.get_by_role("button", name="Acknowledge task")).to_have_count(0)
    expect(page.get_by_role("button", name="Complete task")).to_have_count(0)
    page.goto(live_site.url(f"/decisions/{live_site.seeded.decision.id}"))
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)

    token = page.locator('form[action="/logout"] input[name="csrf_token"]').get_attribute("value")
    assert token
    attempts: list[tuple[str, dict[str, str | float | bool]]] = [
        (f"/tasks/{open_task.id}/ack", {"csrf_token": token}),
        (f"/tasks/{open_task.id}/complete", {"csrf_token": token, "outcome": "resolved"}),
        (
            f"/decisions/{live_site.seeded.decision.id}",
            {"csrf_token": token, "outcome": "decline", "reason": "x"},
        ),
    ]
    for path, form in attempts:
        response = page.request.post(live_site.url(path), form=form, max_redirects=0)
        assert response.status == 403, path
    assert _task(live_site, open_task.id).status == "open"


def test_school_a_staff_cannot_open_a_school_b_pupil_by_url(
    page: Page, live_site: LiveSite
) -> None:
    """Typing another school's UPN gives the same 404 as a pupil that does not exist."""
    sign_in(page, live_site, "staff_a")
    response = page.goto(live_site.url(f"/pupils/{live_site.seeded.pupil_b.upn}"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_text("Bilal")).to_have_count(0)
    save_screenshot(page, "other_school_pupil_404")
    assert_accessible(page)


def test_form_posted_without_its_csrf_token_is_refused(page: Page, live_site: LiveSite) -> None:
    """Strip the token from the acknowledge form and submit it: 403, task unchanged."""
    sign_in(page, live_site, "officer_a")
    with Session(live_site.seeded.engine) as session:
        task = session.exec(
            select(Task).where(Task.kind == "call_parent", Task.status == "open")
        ).first()
    assert task is not None
    page.goto(live_site.url(f"/tasks/{task.id}"))
    page.locator('form[action$="/ack"] input[name="csrf_token"]').evaluate("el => el.remove()")
    with page.expect_response(re.compile(rf"/tasks/{task.id}/ack$")) as posted:
        page.get_by_role("button", name="Acknowledge task").click()
    assert posted.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("did not come from this site")).to_be_visible()
    save_screenshot(page, "csrf_refused")
    assert _task(live_site, task.id).status == "open"
