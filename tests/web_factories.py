"""Row factories for the web tests: `create_*(engine, **overrides)` write real rows and return them.

Plain keyword functions with defaults (Notify's tests/app/db.py style). Each commits its own
transaction, so a test reads like the state it sets up.
"""

from __future__ import annotations

import itertools
import re
import warnings
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from fastapi import FastAPI
from pwdlib import PasswordHash
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.exceptions import StarletteDeprecationWarning
from stdnum.gb import upn as upn_check

from casework.db.session import unit_of_work
from casework.db.tables import (
    Case,
    Contact,
    Decision,
    Letter,
    Mark,
    Message,
    Pupil,
    School,
    StageEntry,
    Task,
    User,
)
from casework.settings import Settings
from casework.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers the `httpx2` package and warns when it finds only `httpx`; the
    # client works the same either way, and pytest turns warnings into errors.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient as TestClient

LA_CODE = "201"
URN_A = "100001"
URN_B = "100002"
PASSWORD = "correct horse battery"
NOW = datetime(2025, 11, 19, 10, 30, tzinfo=UTC)  # a Wednesday in the autumn term
TODAY = date(2025, 11, 19)

_serial = itertools.count(1)


def make_upn(serial: int | None = None, la_code: str = LA_CODE) -> str:
    """A valid UPN (check letter right) for the LA, unique per call unless `serial` is given."""
    body = f"{la_code}{serial if serial is not None else next(_serial):09d}"
    return upn_check.calc_check_digit(body) + body


def _save(engine: Engine, row: Any) -> Any:
    with unit_of_work(engine) as session:
        session.add(row)
        session.flush()
        session.refresh(row)
        session.expunge(row)
    return row


def create_school(engine: Engine, urn: str = URN_A, **overrides: Any) -> School:
    values: dict[str, Any] = {
        "urn": urn,
        "name": f"School {urn}",
        "la_code": LA_CODE,
        "phase": "primary",
        "am_register_closes": time(9, 15),
        "pm_register_closes": time(13, 30),
        **overrides,
    }
    return _save(engine, School(**values))  # type: ignore[no-any-return]


def create_pupil(engine: Engine, urn: str = URN_A, **overrides: Any) -> Pupil:
    values: dict[str, Any] = {
        "upn": make_upn(),
        "urn": urn,
        "forename": "Amelia",
        "surname": "Hartley",
        "date_of_birth": date(2015, 3, 14),
        "year_group": "5",
        "sen_status": "N",
        **overrides,
    }
    return _save(engine, Pupil(**values))  # type: ignore[no-any-return]


def create_case(engine: Engine, pupil: Pupil) -> Case:
    with unit_of_work(engine) as session:
        existing = session.exec(select(Case).where(Case.upn == pupil.upn)).first()
        if existing is not None:
            session.expunge(existing)
            return existing
    case = Case(upn=pupil.upn, urn=pupil.urn, opened_date=TODAY - timedelta(days=30), opened_at=NOW)
    return _save(engine, case)  # type: ignore[no-any-return]


def create_task(engine: Engine, pupil: Pupil | None = None, **overrides: Any) -> Task:
    case = create_case(engine, pupil) if pupil is not None else None
    serial = next(_serial)
    values: dict[str, Any] = {
        "key": f"test-task-{serial}",
        "case_id": case.id if case else None,
        "upn": pupil.upn if pupil else None,
        "urn": pupil.urn if pupil else URN_A,
        "kind": "home_visit",
        "stage": "home_visit",
        "status": "open",
        "owner_role": "attendance_officer",
        "priority": 0,
        "created_date": TODAY,
        "due_date": TODAY,
        **overrides,
    }
    return _save(engine, Task(**values))  # type: ignore[no-any-return]


def create_decision(engine: Engine, pupil: Pupil, **overrides: Any) -> Decision:
    case = create_case(engine, pupil)
    values: dict[str, Any] = {
        "key": f"test-decision-{next(_serial)}",
        "case_id": case.id,
        "upn": pupil.upn,
        "urn": pupil.urn,
        "stage": "penalty_notice",
        "status": "requested",
        "requested_date": TODAY,
        "context": {"unauthorised_sessions": 14, "school_weeks": 10, "support_offered": "yes"},
        **overrides,
    }
    return _save(engine, Decision(**values))  # type: ignore[no-any-return]


def create_stage_entry(engine: Engine, pupil: Pupil, **overrides: Any) -> StageEntry:
    case = create_case(engine, pupil)
    values: dict[str, Any] = {
        "key": f"test-stage-{next(_serial)}",
        "case_id": case.id,
        "upn": pupil.upn,
        "urn": pupil.urn,
        "stage": "attendance_plan",
        "status": "open",
        "entered_date": TODAY - timedelta(days=14),
        "reason": "persistent absence",
        **overrides,
    }
    return _save(engine, StageEntry(**values))  # type: ignore[no-any-return]


def create_contact(engine: Engine, pupil: Pupil, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "contact_id": f"c-{next(_serial)}",
        "upn": pupil.upn,
        "name": "Joanne Hartley",
        "relationship": "mother",
        "parental_responsibility": True,
        "priority": 1,
        "mobile": "+447400123456",
        "preferred_channel": "sms",
        "address": "12 Station Road, Ashfield, AB1 2CD",
        **overrides,
    }
    return _save(engine, Contact(**values))  # type: ignore[no-any-return]


def create_message(engine: Engine, pupil: Pupil, **overrides: Any) -> Message:
    values: dict[str, Any] = {
        "idempotency_key": f"test-message-{next(_serial)}",
        "channel": "sms",
        "template": "first_day_call/parent",
        "recipient_role": "parent",
        "status": "delivered",
        "school_date": TODAY,
        "upn": pupil.upn,
        "urn": pupil.urn,
        "stage": "first_day_call",
        "created_at": NOW,
        "updated_at": NOW,
        **overrides,
    }
    return _save(engine, Message(**values))  # type: ignore[no-any-return]


def create_letter(engine: Engine, pupil: Pupil, **overrides: Any) -> Letter:
    values: dict[str, Any] = {
        "key": f"test-letter-{next(_serial)}",
        "template": "home_visit/calling_card",
        "upn": pupil.upn,
        "urn": pupil.urn,
        "school_date": TODAY,
        "status": "rendered",
        "created_at": NOW,
        "rendered_at": NOW,
        **overrides,
    }
    return _save(engine, Letter(**values))  # type: ignore[no-any-return]


def create_marks(
    engine: Engine, pupil: Pupil, codes: str, *, ending: date = TODAY - timedelta(days=1)
) -> list[Mark]:
    """One mark per session for `codes` like "/ / N N": AM then PM, days back to `ending`.

    Weekends are skipped; each mark is recorded at noon UTC on its day (so by default every
    mark is already recorded at NOW).
    """
    sessions = codes.split()
    days: list[date] = []
    day = ending
    while len(days) * 2 < len(sessions):
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    days.reverse()
    slots = [(d, s) for d in days for s in ("AM", "PM")][-len(sessions) :]
    rows = [
        Mark(
            upn=pupil.upn,
            urn=pupil.urn,
            school_date=d,
            session=s,
            code=code,
            original_code=code,
            recorded_at=datetime.combine(d, time(12, 0), UTC),
        )
        for (d, s), code in zip(slots, sessions, strict=True)
    ]
    with unit_of_work(engine) as session:
        session.add_all(rows)
    return rows


@cache
def password_hash(password: str) -> str:
    """A real argon2 hash, computed once per password: hashing costs most of a second here."""
    return PasswordHash.recommended().hash(password)


def create_user(
    engine: Engine,
    email: str,
    role: str,
    urn: str | None = None,
    password: str = PASSWORD,
    **overrides: Any,
) -> User:
    """An account row (`add_user` itself is tested in test_web_users.py)."""
    values: dict[str, Any] = {
        "email": email,
        "role": role,
        "urn": urn,
        "password_hash": password_hash(password),
        "created_at": NOW,
        **overrides,
    }
    return _save(engine, User(**values))  # type: ignore[no-any-return]


# --- the web app under test ------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

USERS: dict[str, tuple[str, str, str | None]] = {
    "staff_a": ("staff@a.example.org", "school_staff", URN_A),
    "officer_a": ("officer@a.example.org", "attendance_officer", URN_A),
    "head_a": ("head@a.example.org", "headteacher", URN_A),
    "head_b": ("head@b.example.org", "headteacher", URN_B),
    "la": ("officer@la.example.org", "la_officer", None),
    "auditor_a": ("governor@a.example.org", "auditor", URN_A),
    "auditor_la": ("auditor@la.example.org", "auditor", None),
    "admin": ("admin@la.example.org", "admin", None),
}


def web_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    return Settings(var_dir=var_dir, database_url=database_url, **overrides)


def web_app(database_url: str, var_dir: Path, **overrides: Any) -> FastAPI:
    """The real app on this database, its clock fixed at NOW."""
    app = create_app(web_settings(database_url, var_dir, **overrides))
    app.state.web.clock = lambda: NOW
    return app


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token for later POSTs."""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return csrf_from(client.get("/tasks").text)


NAMES: dict[str, str] = {
    "staff_a": "Sam Shaw",
    "officer_a": "Olivia Okafor",
    "head_a": "Helen Adebayo",
    "head_b": "Hugh Barnes",
    "la": "Leah Lawson",
    "auditor_a": "Gail Price",
    "auditor_la": "Aaron Reid",
    "admin": "Ada Mills",
}


def create_users(engine: Engine) -> dict[str, User]:
    """One account per entry of USERS, each with a name (schools A and B must exist)."""
    return {name: create_user(engine, *spec, full_name=NAMES[name]) for name, spec in USERS.items()}


def write_letter_pdf(letters_dir: Path, name: str) -> str:
    """A small PDF file in the letters folder, as the postroom leaves one; returns its name."""
    letters_dir.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument.new()
    document.new_page(595, 842)  # one blank A4 page, as a real PDF reader opens it
    document.save(str(letters_dir / name))
    return name
