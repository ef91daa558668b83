"""Issue 19 in real headless Chromium: each attack refused, the legitimate action still working.

The module has its own served app (the live_site fixture is per module), so disabling accounts
here touches no other browser test.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from casework.db.tables import AuditEntry, LoginFailure
from tests.browser.conftest import LiveSite, save_screenshot, sign_in
from tests.web_factories import PASSWORD, USERS, create_task

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _fresh_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_cookie_saved_before_sign_out_is_refused_after_it(
    page: Page, browser: Browser, live_site: LiveSite
) -> None:
    """An attacker who copied the cookie gets the sign-in page once its owner has signed out."""
    sign_in(page, live_site, "officer_a")
    saved = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status").first).to_have_text("You have signed out.")

    attacker = _fresh_page(browser)
    attacker.context.add_cookies(saved)  # type: ignore[arg-type]
    attacker.goto(live_site.url("/tasks"))
    expect(attacker.get_by_role("heading", level=1)).to_have_text("Sign in")
    save_screenshot(attacker, "replayed_cookie_refused")
    attacker.context.close()

    sign_in(page, live_site, "officer_a")  # the owner signs in again as normal
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")


def test_admin_disables_an_account_and_its_open_session_ends(
    page: Page, browser: Browser, live_site: LiveSite
) -> None:
    """The admin disables staff_a on the accounts page: staff_a's open browser is signed out and
    the right password no longer works; enabling lets them back in."""
    staff = _fresh_page(browser)
    sign_in(staff, live_site, "staff_a")

    sign_in(page, live_site, "admin")
    page.get_by_role("link", name="Accounts").click()
    email = USERS["staff_a"][0]
    page.get_by_role("button", name=f"Disable {email}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Disabled {email}")
    save_screenshot(page, "accounts_disabled")

    staff.goto(live_site.url("/tasks"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Sign in")
    staff.get_by_label("Email address").fill(email)
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff.get_by_text("was not recognised")).to_be_visible()

    page.get_by_role("button", name=f"Enable {email}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Enabled {email}")
    sign_in(staff, live_site, "staff_a")
    staff.context.close()


def test_accounts_page_is_not_for_other_roles(page: Page, live_site: LiveSite) -> None:
    """A headteacher has no Accounts link and gets 'Not allowed' at the address."""
    sign_in(page, live_site, "head_a")
    expect(page.get_by_role("link", name="Accounts")).to_have_count(0)
    page.goto(live_site.url("/admin/users"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_password_spray_from_one_address_is_answered_429(page: Page, live_site: LiveSite) -> None:
    """Eleven accounts tried from one browser, each with a made-up X-Forwarded-For: the first
    ten are refused as unrecognised, the eleventh with 429 'Too many attempts'."""
    statuses: list[int] = []
    try:
        for n in range(11):
            page.set_extra_http_headers({"X-Forwarded-For": f"203.0.113.{n}"})
            page.goto(live_site.url("/login"))
            page.get_by_label("Email address").fill(f"someone{n}@a.example.org")
            page.get_by_label("Password").fill("Autumn2025!")
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.get_by_role("button", name="Sign in").click()
            statuses.append(posted.value.status)
        expect(page.get_by_text("Too many attempts to sign in")).to_be_visible()
        save_screenshot(page, "password_spray_429")
    finally:
        # The served app counts per address, and every browser test comes from 127.0.0.1.
        with Session(live_site.seeded.engine) as session, session.begin():
            session.execute(sa.delete(LoginFailure))
    assert statuses == [401] * 10 + [429]


def test_school_staff_cannot_record_a_notice_payment(page: Page, live_site: LiveSite) -> None:
    """A notice_payment task shows school staff no outcome form, only who records it; the
    attendance officer's own home visit task still has its form."""
    seeded = live_site.seeded
    payment = create_task(
        seeded.engine,
        seeded.pupil_a,
        kind="notice_payment",
        stage="penalty_notice",
        owner_role="la_officer",
    )
    sign_in(page, live_site, "staff_a")
    page.goto(live_site.url(f"/tasks/{payment.id}"))
    expect(
        page.get_by_text("Only the LA attendance service records a penalty notice payment.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Complete task")).to_have_count(0)
    save_screenshot(page, "payment_task_school_staff")
    page.goto(live_site.url(f"/tasks/{seeded.visit.id}"))
    expect(page.get_by_role("button", name="Complete task")).to_be_visible()


def test_another_schools_headteacher_cannot_export_a_pupils_trail(
    page: Page, live_site: LiveSite
) -> None:
    """head_b typing school A's pupil into the export address gets 'Page not found' and no
    case.viewed entry is written; head_a's own export is recorded."""
    upn = live_site.seeded.pupil_a.upn

    def views() -> int:
        with Session(live_site.seeded.engine) as session:
            stmt = select(AuditEntry).where(AuditEntry.upn == upn, AuditEntry.kind == "case.viewed")
            return len(session.exec(stmt).all())

    before = views()
    sign_in(page, live_site, "head_b")
    page.goto(live_site.url(f"/audit?upn={upn}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    response = page.request.get(live_site.url(f"/audit/export?format=jsonl&upn={upn}"))
    assert response.status == 404
    assert views() == before
    page.goto(live_site.url("/tasks"))
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_site, "head_a")
    assert page.request.get(live_site.url(f"/audit/export?format=jsonl&upn={upn}")).status == 200
    assert views() == before + 1
