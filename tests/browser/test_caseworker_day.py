"""The caseworker's day in headless Chromium: a call task that holds the family's numbers, a
letter task with its address and PDF, and the day's letters printed as one PDF and posted.

axe-core runs inside every page (0 violations); screenshots go to <var>/screenshots/.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from casework.db.tables import AuditEntry, Task
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_call_task_shows_who_to_call_and_what_each_outcome_does(
    page: Page, live_site: LiveSite
) -> None:
    sign_in(page, live_site, "officer_a")
    page.goto(live_site.url(f"/tasks/{live_site.seeded.call.id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Call parent: Amelia Hartley")
    expect(page.get_by_role("heading", name="Who to contact")).to_be_visible()
    mother = page.get_by_role("row", name="Joanne Hartley")
    expect(mother.get_by_role("link", name="+447400123456")).to_have_attribute(
        "href", "tel:+447400123456"
    )
    father = page.get_by_role("row", name="Marek Hartley")
    expect(father).to_contain_text("Father")
    expect(father).to_contain_text("Polish")
    expect(page.get_by_text("1 day overdue")).to_be_visible()
    expect(page.get_by_text("Tue 18 Nov 2025")).to_be_visible()  # due: dates carry the year
    steps = page.locator("#outcome-next")
    expect(steps).to_contain_text("No answer: Recorded on the case.")
    expect(page.get_by_label("Outcome", exact=True)).to_have_attribute(
        "aria-describedby", "outcome-next"
    )
    save_screenshot(page, "task_call_parent")
    assert_accessible(page)


def test_home_visit_outcomes_say_what_they_set_going(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "officer_a")
    page.goto(live_site.url(f"/tasks/{live_site.seeded.visit.id}"))
    expect(page.locator("#outcome-next")).to_contain_text(
        "Child not seen: Opens a safeguarding review"
    )
    expect(page.get_by_role("heading", name="Who to contact")).to_be_visible()
    assert_accessible(page)


def test_letter_task_shows_the_address_and_the_pdf(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "staff_a")
    task = live_site.seeded.letter_tasks[0]
    page.goto(live_site.url(f"/tasks/{task.id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter to post: Amelia Hartley")
    letter = page.locator("section", has=page.get_by_role("heading", name="The letter"))
    expect(letter).to_contain_text("Home visit: calling card")
    expect(letter).to_contain_text("Joanne Hartley")
    expect(letter).to_contain_text("12 Station Road, Ashfield, AB1 2CD")
    link = letter.get_by_role("link", name="Open the letter (PDF)")
    response = page.request.get(live_site.url(link.get_attribute("href") or ""))
    assert response.headers["content-type"] == "application/pdf"
    expect(page.get_by_text("Message id")).to_have_count(0)
    save_screenshot(page, "task_letter_to_post")
    assert_accessible(page)


def test_the_days_letters_print_as_one_pdf_and_are_all_posted(
    page: Page, live_site: LiveSite
) -> None:
    sign_in(page, live_site, "staff_a")
    page.get_by_role("link", name="Letters to post", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Letters to post")
    expect(page.locator("tbody tr")).to_have_count(2)
    save_screenshot(page, "letters_to_post")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Print these 2 letters and mark them posted").click()
    path = download.value.path()
    assert len(pdfium.PdfDocument(str(path))) == 2  # one page from each letter
    ids = [t.id for t in live_site.seeded.letter_tasks]
    with Session(live_site.seeded.engine) as session:
        tasks = session.exec(select(Task).where(Task.id.in_(ids))).all()  # type: ignore[union-attr]
        completed = session.exec(
            select(AuditEntry).where(
                AuditEntry.kind == "task.completed", AuditEntry.actor == "staff@a.example.org"
            )
        ).all()
    assert {(t.status, t.outcome) for t in tasks} == {("completed", "posted")}
    assert len(completed) >= 2
    page.reload()
    expect(page.get_by_text("No letters are waiting to be posted.")).to_be_visible()
    assert_accessible(page)
