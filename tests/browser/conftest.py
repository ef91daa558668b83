"""Browser-test fixtures: the real app under uvicorn on a free loopback port, seeded with two
schools, and Debian's headless Chromium driven by Playwright (never `playwright install`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy.engine import Engine

from casework.db.migrate import upgrade
from casework.db.session import get_engine, unit_of_work
from casework.db.tables import Decision, Pupil, Referral, Task
from casework.settings import Settings
from tests.web_factories import (
    NOW,
    TODAY,
    URN_A,
    URN_B,
    USERS,
    create_contact,
    create_decision,
    create_letter,
    create_marks,
    create_message,
    create_pupil,
    create_school,
    create_stage_entry,
    create_task,
    create_users,
    web_app,
    write_letter_pdf,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# A term of register marks, ten sessions a week: a good start, a bad patch, some recovery.
TERM_MARKS = " ".join(
    ["/ " * 10] * 4
    + ["/ / / / N N N N N N", "N N / / / / L / / /", "/ / I I I I / / / /"]
    + ["/ / / / / / N N / /", "/ / / / / / / / / /", "/ / O O / / / / / /"]
).split()


@dataclass
class Seeded:
    engine: Engine
    pupil_a: Pupil
    pupil_b: Pupil
    visit: Task
    decision: Decision
    call: Task
    letter_tasks: list[Task]


@dataclass
class LiveSite:
    base_url: str
    seeded: Seeded
    var_dir: Path

    def url(self, path: str) -> str:
        return self.base_url + path


def screenshots_dir() -> Path:
    """Screenshots go to the project's var folder (PATHWAY_VAR_DIR, default var/)."""
    path = Settings().var_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_screenshot(page: Page, name: str) -> Path:
    path = screenshots_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _refer(engine: Engine, pupil: Pupil) -> None:
    """A persistent-absence referral still with the LA, and a notice payment it is chasing."""
    entry = create_stage_entry(engine, pupil, stage="la_referral", reason="persistent absence")
    with unit_of_work(engine) as session:
        session.add(
            Referral(
                key=f"{pupil.upn}:referral:persistent_absence:2025",
                case_id=entry.case_id,
                upn=pupil.upn,
                urn=pupil.urn,
                reason="persistent_absence",
                school_date=TODAY - timedelta(days=9),
                created_at=NOW,
            )
        )
    create_task(
        engine,
        pupil,
        kind="notice_payment",
        stage="penalty_notice",
        owner_role="la_officer",
        due_date=TODAY + timedelta(days=20),
    )


def _seed(engine: Engine, var_dir: Path) -> Seeded:
    create_school(engine, URN_A, name="Ashfield Primary School")
    create_school(engine, URN_B, name="Brookside Academy")
    create_users(engine)
    pupil_a = create_pupil(engine, URN_A, forename="Amelia", surname="Hartley")
    pupil_b = create_pupil(engine, URN_B, forename="Bilal", surname="Rahman")
    create_marks(engine, pupil_a, " ".join(TERM_MARKS))
    mother = create_contact(engine, pupil_a)
    create_contact(
        engine,
        pupil_a,
        name="Marek Hartley",
        relationship="father",
        priority=2,
        mobile="+447700900123",
        language="pl",
        preferred_channel="letter",
        parental_responsibility=False,  # one notice in the decision journey (DOMAIN rule 21)
    )
    create_stage_entry(
        engine,
        pupil_a,
        stage="first_day_call",
        status="closed",
        entered_date=TODAY - timedelta(days=42),
        closed_date=TODAY - timedelta(days=35),
    )
    create_stage_entry(
        engine, pupil_a, stage="home_visit", reason="third day of unexplained absence"
    )
    create_message(engine, pupil_a)
    create_message(engine, pupil_a, channel="email", status="sending")
    letter_tasks = []
    for name, template in (
        ("calling-card", "home_visit/calling_card"),
        ("plan", "attendance_plan/parent"),
    ):
        letter = create_letter(
            engine,
            pupil_a,
            template=template,
            recipient_ref=mother.contact_id,
            path=write_letter_pdf(var_dir / "letters", f"{name}.pdf"),
        )
        letter_tasks.append(
            create_task(
                engine,
                pupil_a,
                kind="letter_to_post",
                stage=template.split("/")[0],
                owner_role="school_office",
                context={"letter_id": letter.id},
            )
        )
    _refer(engine, pupil_a)
    visit = create_task(engine, pupil_a, kind="home_visit", due_date=TODAY)
    call = create_task(
        engine,
        pupil_a,
        kind="call_parent",
        stage="first_day_call",
        owner_role="school_office",
        due_date=TODAY - timedelta(days=1),
    )
    create_task(engine, pupil_b, kind="home_visit")
    decision = create_decision(
        engine,
        pupil_a,
        context={
            "unauthorised_sessions": "14 in the last 10 school weeks",
            "support_offered": "attendance plan agreed 2 October; home visit 12 November",
            "last_absence_date": (TODAY - timedelta(days=3)).isoformat(),
            "all_holiday": "false",
        },
    )
    return Seeded(engine, pupil_a, pupil_b, visit, decision, call, letter_tasks)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Iterator[LiveSite]:
    """The seeded app (with settings `overrides`) under uvicorn on 127.0.0.1:<free port>."""
    var_dir = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{var_dir / 'pathway.db'}"
    upgrade(url)
    seeded = _seed(get_engine(url), var_dir)
    app = web_app(url, var_dir, **overrides)
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveSite(f"http://127.0.0.1:{port}", seeded, var_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """The app served by uvicorn in a thread on 127.0.0.1:<free port>; stopped afterwards."""
    with serve(tmp_path_factory) as site:
        yield site


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} missing: run tests/browser/ensure_chromium.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) at tablet size."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: Page, site: LiveSite, who: str) -> None:
    """Sign in through the form as the USERS entry `who`."""
    from tests.web_factories import PASSWORD

    page.goto(site.url("/login"))
    page.get_by_label("Email address").fill(USERS[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url("/tasks"))
