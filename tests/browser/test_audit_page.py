"""The audit page in headless Chromium: it checks what is new since its last check, and the
whole chain on request (ADR 0011); axe-core inside, 0 violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveSite, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_auditor_sees_the_new_entries_checked_then_the_whole_chain(
    page: Page, live_site: LiveSite
) -> None:
    sign_in(page, live_site, "auditor_la")
    case_page = live_site.url(f"/pupils/{live_site.seeded.pupil_a.upn}")
    page.goto(case_page)  # a read of a case is an audit entry
    page.goto(live_site.url("/audit"))
    notice = page.get_by_role("status").filter(has_text="Chain verified.")
    expect(notice).to_be_visible()
    assert_accessible(page)
    page.goto(case_page)  # one more entry
    page.goto(live_site.url("/audit"))
    expect(notice).to_contain_text("The 1 entry added since the last check")
    page.get_by_role("link", name="Verify the whole chain").click()
    expect(notice).to_contain_text("entries are intact: none has been altered")
    assert_accessible(page)
