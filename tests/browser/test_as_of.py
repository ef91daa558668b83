"""PATHWAY_AS_OF in headless Chromium: every page carries the banner, dates and overdue counts
are as of that day, and no change is taken (axe-core inside each page, 0 violations)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, save_screenshot, serve, sign_in
from tests.web_factories import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AS_OF = TODAY - timedelta(days=7)  # Wed 12 Nov 2025


@pytest.fixture(scope="module")
def past_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    with serve(tmp_path_factory, as_of=AS_OF) as site:
        yield site


def test_every_page_says_which_day_it_shows_and_takes_no_changes(
    page: Page, past_site: LiveSite
) -> None:
    sign_in(page, past_site, "officer_a")
    banner = page.get_by_role("region", name="Date shown")
    expect(banner).to_contain_text("Wed 12 Nov 2025")
    # As of a week ago nothing in the queue is overdue yet.
    expect(page.get_by_text("1 day overdue")).to_have_count(0)
    assert_accessible(page)
    for path in (f"/pupils/{past_site.seeded.pupil_a.upn}", "/decisions", "/letters-to-post"):
        page.goto(past_site.url(path))
        expect(banner).to_contain_text("Wed 12 Nov 2025")
        assert_accessible(page)
    task_id = past_site.seeded.visit.id
    page.goto(past_site.url(f"/tasks/{task_id}"))
    expect(page.get_by_role("button", name="Acknowledge task")).to_have_count(0)
    save_screenshot(page, "as_of_task")
    token = page.locator('form[action="/logout"] input[name="csrf_token"]').get_attribute("value")
    assert token
    response = page.request.post(
        past_site.url(f"/tasks/{task_id}/ack"), form={"csrf_token": token}, max_redirects=0
    )
    assert response.status == 403
    assert "it takes no changes" in response.text()


def test_a_decision_asked_for_after_the_day_shown_offers_no_form(
    page: Page, past_site: LiveSite
) -> None:
    sign_in(page, past_site, "officer_a")
    decision = past_site.seeded.decision  # asked for a week after the day shown
    page.goto(past_site.url("/decisions"))
    expect(page.locator(f'a[href="/decisions/{decision.id}"]')).to_have_count(0)
    page.goto(past_site.url(f"/decisions/{decision.id}"))
    expect(page.get_by_text("This decision was asked for after the day shown.")).to_be_visible()
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    assert_accessible(page)
