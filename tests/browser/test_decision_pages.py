"""Decisions in headless Chromium: a summary to scan and sort, and one decision per page showing
what approving it would do (notices, amounts, recipients, dates) around the unchanged form.

axe-core runs inside every page (0 violations); screenshots go to <var>/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_summary_lists_each_decision_on_one_line_and_sorts(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "head_a")
    page.get_by_role("link", name="Decisions", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions on legal steps")
    row = page.get_by_role("row", name="Amelia Hartley")
    expect(row).to_contain_text("Penalty notice")
    expect(row).to_contain_text("Ashfield Primary School")
    expect(row).to_contain_text("Wed 19 Nov 2025")
    expect(row).to_contain_text("Sat 16 May 2026")  # six months from the last absence
    expect(row).to_contain_text("£160.00")
    expect(page.get_by_role("textbox")).to_have_count(0)  # no forms on the summary
    save_screenshot(page, "decisions_summary")
    assert_accessible(page)
    page.get_by_role("link", name="Time limit soonest").click()
    expect(page.get_by_role("columnheader", name="Time limit")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert_accessible(page)


def test_one_decision_shows_what_approval_will_do(page: Page, live_site: LiveSite) -> None:
    sign_in(page, live_site, "head_a")
    page.goto(live_site.url("/decisions"))
    page.get_by_role("link", name="Penalty notice for Amelia Hartley").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Penalty notice: Amelia Hartley")
    effects = page.locator("section", has=page.get_by_role("heading", name="What approving"))
    notice = effects.get_by_role("row", name="Joanne Hartley")
    expect(notice).to_contain_text("First in 3 years")
    expect(notice).to_contain_text("£160.00")
    expect(notice).to_contain_text("£80.00 if paid by")
    expect(notice).to_contain_text("12 Station Road")
    expect(effects).to_contain_text("payment task")
    evidence = page.locator("section", has=page.get_by_role("heading", name="Evidence"))
    expect(evidence).to_contain_text("All term-time holiday")
    expect(evidence).not_to_contain_text("false")
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()
    save_screenshot(page, "decision_one")
    assert_accessible(page)
