"""Each role's queue in headless Chromium: count cards that link to their lists, the LA
officer's referrals, decisions and notice payments, and filters by stage and due date.

axe-core runs inside every page (0 violations).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _card(page: Page, label: str) -> str:
    card = page.get_by_role("navigation", name="Your work").get_by_role("link", name=label)
    return card.inner_text().split()[0]


def test_la_officer_lands_on_referrals_decisions_and_payments(
    page: Page, live_site: LiveSite
) -> None:
    sign_in(page, live_site, "la")
    assert _card(page, "Referrals waiting") == "1"
    assert _card(page, "Decisions waiting") == "1"
    assert _card(page, "Penalty notices awaiting payment") == "1"
    save_screenshot(page, "queue_la_officer")
    assert_accessible(page)

    page.get_by_role("link", name="Referrals waiting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals waiting")
    row = page.get_by_role("row", name="Amelia Hartley")
    expect(row).to_contain_text("Persistent absence")
    expect(row).to_contain_text("9 days")
    expect(row).to_contain_text("Mon 10 Nov 2025")
    assert_accessible(page)

    page.go_back()
    page.get_by_role("link", name="Penalty notices awaiting payment").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Penalty notice payment")


def test_school_queue_filters_by_stage_and_due_date(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "officer_a")
    overdue = _card(page, "Overdue in my queue")
    page.get_by_role("link", name="Overdue in my queue").click()
    expect(page.locator("tbody tr")).to_have_count(int(overdue))
    expect(page.get_by_label("Due")).to_have_value("overdue")
    expect(page.locator("tbody")).to_contain_text("1 day overdue")

    page.get_by_label("Due").select_option("")
    page.get_by_label("Stage").select_option(label="Home visit")
    page.get_by_role("button", name="Show tasks").click()
    # The home visit, and the calling card left at the visit waiting to be posted.
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("Letter to post")
    save_screenshot(page, "queue_filtered")
    assert_accessible(page)


def test_overview_says_what_each_number_counts(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "la")
    page.get_by_role("link", name="Overview").click()
    definitions = page.locator("section", has=page.get_by_role("heading", name="What these"))
    expect(definitions).to_contain_text("Attendance plan stage open now")
    expect(definitions).to_contain_text("10% or more of their possible sessions")
    expect(definitions).to_contain_text("Persistent absence")
    page.get_by_role("link", name="(what this counts)").first.click()
    expect(page).to_have_url(live_site.url("/overview#def-pa"))
    save_screenshot(page, "overview_definitions")
    assert_accessible(page)

    page.goto(live_site.url(f"/pupils/{live_site.seeded.pupil_a.upn}"))
    expect(page.get_by_text("As of Wed 19 Nov 2025.")).to_be_visible()
    assert_accessible(page)
