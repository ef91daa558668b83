"""Every route enforces sign-in, scope and role: a table of routes x roles -> status codes.

Two schools, A and B; one account per role. Outside a user's scope a pupil, task, decision or
letter is a 404; a write by a read-only role (auditor) is a 403; a page without sign-in
redirects to /login. Writes that succeed get fresh rows per case so cases do not interfere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from casework.db.migrate import upgrade
from casework.db.session import get_engine
from casework.db.tables import AuditEntry, Decision, Task
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.web_factories import (
    URN_A,
    URN_B,
    USERS,
    TestClient,
    create_decision,
    create_letter,
    create_pupil,
    create_school,
    create_task,
    create_users,
    csrf_from,
    sign_in,
    web_app,
    write_letter_pdf,
)

ROLES = list(USERS)
ANON = "anon"


@dataclass
class World:
    engine: Engine
    clients: dict[str, TestClient]
    tokens: dict[str, str]
    ids: dict[str, object]

    def call(self, who: str, method: str, path: str, data: dict[str, str] | None = None) -> int:
        client = self.clients[who]
        form = dict(data or {})
        if method == "POST":
            form.setdefault("csrf_token", self.tokens[who])
        response = client.request(method, path, data=form or None, follow_redirects=False)
        status: int = response.status_code
        return status


def _build(url: str, var_dir: Path) -> World:
    engine = get_engine(url)
    create_school(engine, URN_A, name="Ashfield Primary")
    create_school(engine, URN_B, name="Brookside Academy")
    create_users(engine)
    pupil_a = create_pupil(engine, URN_A)
    pupil_b = create_pupil(engine, URN_B, forename="Bilal", surname="Rahman")
    letters = var_dir / "letters"
    ids: dict[str, object] = {
        "upn_a": pupil_a.upn,
        "upn_b": pupil_b.upn,
        "task_a": create_task(engine, pupil_a).id,
        "task_b": create_task(engine, pupil_b).id,
        "decision_a": create_decision(engine, pupil_a).id,
        "decision_b": create_decision(engine, pupil_b).id,
        "letter_a": create_letter(
            engine, pupil_a, path=write_letter_pdf(letters, "message-a.pdf")
        ).id,
        "letter_b": create_letter(
            engine, pupil_b, path=write_letter_pdf(letters, "message-b.pdf")
        ).id,
        "pupil_a": pupil_a,
        "pupil_b": pupil_b,
    }
    app = web_app(url, var_dir)
    clients = {name: TestClient(app) for name in [ANON, *ROLES]}
    tokens = {name: sign_in(clients[name], USERS[name][0]) for name in ROLES}
    # An anonymous visitor who has loaded the sign-in form holds a valid session token.
    tokens[ANON] = csrf_from(clients[ANON].get("/login").text)
    return World(engine, clients, tokens, ids)


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    var_dir = tmp_path_factory.mktemp("web_access")
    url = f"sqlite:///{var_dir / 'pathway.db'}"
    upgrade(url)
    world = _build(url, var_dir)
    yield world
    for client in world.clients.values():
        client.close()


@pytest.fixture(scope="module")
def postgres_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_postgres()
    url = create_postgres_database()
    try:
        upgrade(url)
        world = _build(url, tmp_path_factory.mktemp("web_access_pg"))
        yield world
        for client in world.clients.values():
            client.close()
    finally:
        drop_postgres_database(url)


# --- reads: route x role -> status -----------------------------------------------------------

#                     anon staff_a officer_a head_a head_b  la  auditor_a auditor_la admin
ALL_OK = (302, 200, 200, 200, 200, 200, 200, 200, 200)
SCHOOL_A_ONLY = (302, 200, 200, 200, 404, 200, 200, 200, 200)
SCHOOL_B_ONLY = (302, 404, 404, 404, 200, 200, 404, 200, 200)
AUDIT_READERS = (302, 403, 200, 200, 200, 200, 200, 200, 200)
# A pupil's trail: audit readers, and only within scope (404 before anything is recorded).
AUDIT_OF_A = (302, 403, 200, 200, 404, 200, 200, 200, 200)
AUDIT_OF_B = (302, 403, 404, 404, 200, 200, 404, 200, 200)

READS: list[tuple[str, tuple[int, ...]]] = [
    ("/tasks", ALL_OK),
    ("/tasks?owner=all&kind=home_visit", ALL_OK),
    ("/tasks/{task_a}", SCHOOL_A_ONLY),
    ("/tasks/{task_b}", SCHOOL_B_ONLY),
    ("/pupils/{upn_a}", SCHOOL_A_ONLY),
    ("/pupils/{upn_b}", SCHOOL_B_ONLY),
    ("/letters/{letter_a}", SCHOOL_A_ONLY),
    ("/letters/{letter_b}", SCHOOL_B_ONLY),
    ("/decisions", ALL_OK),
    ("/overview", ALL_OK),
    ("/audit", AUDIT_READERS),
    ("/audit?upn={upn_b}", AUDIT_OF_B),
    ("/audit/export?format=jsonl", AUDIT_READERS),
    ("/audit/export?format=csv&upn={upn_a}", AUDIT_OF_A),
    ("/audit/export?format=pdf&upn={upn_b}", AUDIT_OF_B),
    ("/", (302,) * 9),
    ("/tasks/999999", (302, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("/pupils/A201999999999", (302, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("/healthz", (200,) * 9),
    ("/static/app.css", (200,) * 9),
]
READ_CASES = [
    pytest.param(path, who, code, id=f"GET {path} as {who}")
    for path, codes in READS
    for who, code in zip([ANON, *ROLES], codes, strict=True)
]


@pytest.mark.parametrize(("path", "who", "expected"), READ_CASES)
def test_read_routes_enforce_login_scope_and_role(
    sqlite_world: World, path: str, who: str, expected: int
) -> None:
    """Each page answers each role with the status the access rules give."""
    assert sqlite_world.call(who, "GET", path.format(**sqlite_world.ids)) == expected


# --- writes -------------------------------------------------------------------------------------

#                 anon staff_a officer_a head_a head_b  la  auditor_a auditor_la admin
WORK_A = (303, 303, 303, 303, 404, 303, 403, 403, 303)
WORK_B = (303, 404, 404, 404, 303, 303, 404, 403, 303)
DECIDE_A = (303, 403, 403, 303, 404, 303, 403, 403, 403)
DECIDE_B = (303, 404, 404, 404, 303, 303, 404, 403, 403)


def _fresh_task(world: World, school: str) -> int:
    pupil = world.ids[f"pupil_{school}"]
    task_id = create_task(world.engine, pupil).id  # type: ignore[arg-type]
    assert task_id is not None
    return task_id


def _fresh_decision(world: World, school: str) -> int:
    pupil = world.ids[f"pupil_{school}"]
    decision_id = create_decision(world.engine, pupil).id  # type: ignore[arg-type]
    assert decision_id is not None
    return decision_id


def _task_status(world: World, task_id: int) -> str:
    with Session(world.engine) as session:
        task = session.get(Task, task_id)
        assert task is not None
        return task.status


TASK_WRITES = [
    pytest.param(action, school, who, code, id=f"POST {action} school {school} as {who}")
    for action in ("ack", "complete")
    for school, codes in (("a", WORK_A), ("b", WORK_B))
    for who, code in zip([ANON, *ROLES], codes, strict=True)
]


@pytest.mark.parametrize(("action", "school", "who", "expected"), TASK_WRITES)
def test_task_writes_enforce_scope_and_role(
    sqlite_world: World, action: str, school: str, who: str, expected: int
) -> None:
    """Caseworkers in scope change a task; others get 404 (scope) or 403 (read-only)."""
    task_id = _fresh_task(sqlite_world, school)
    data = {"outcome": "child_seen"} if action == "complete" else {}
    status = sqlite_world.call(who, "POST", f"/tasks/{task_id}/{action}", data)
    assert status == expected
    changed = {"ack": "acknowledged", "complete": "completed"}[action]
    assert _task_status(sqlite_world, task_id) == (
        changed if expected == 303 and who != ANON else "open"
    )


DECISION_WRITES = [
    pytest.param(school, who, code, id=f"POST decision school {school} as {who}")
    for school, codes in (("a", DECIDE_A), ("b", DECIDE_B))
    for who, code in zip([ANON, *ROLES], codes, strict=True)
]


def _decision_status(world: World, decision_id: int) -> str:
    with Session(world.engine) as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        return decision.status


@pytest.mark.parametrize(("school", "who", "expected"), DECISION_WRITES)
def test_decision_writes_enforce_scope_and_role(
    sqlite_world: World, school: str, who: str, expected: int
) -> None:
    """Only a headteacher of the school or an LA officer decides; the rest are refused."""
    decision_id = _fresh_decision(sqlite_world, school)
    data = {"outcome": "decline", "reason": "Family engaging with support since October."}
    assert sqlite_world.call(who, "POST", f"/decisions/{decision_id}", data) == expected
    decided = expected == 303 and who != ANON
    assert _decision_status(sqlite_world, decision_id) == ("declined" if decided else "requested")


POSTS_WITHOUT_TOKEN = [
    "/login",
    "/logout",
    "/tasks/{task_a}/ack",
    "/tasks/{task_a}/complete",
    "/tasks/{task_a}/assign",
    "/decisions/{decision_a}",
]


@pytest.mark.parametrize("path", POSTS_WITHOUT_TOKEN)
@pytest.mark.parametrize("who", ["la", "head_a"])
def test_post_without_csrf_token_is_refused(sqlite_world: World, path: str, who: str) -> None:
    """Every form POST needs the session's CSRF token: missing or wrong -> 403, nothing done."""
    client = sqlite_world.clients[who]
    target = path.format(**sqlite_world.ids)
    missing = client.post(target, data={"outcome": "child_seen"}, follow_redirects=False)
    wrong = client.post(target, data={"csrf_token": "x" * 43}, follow_redirects=False)
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert _task_status(sqlite_world, sqlite_world.ids["task_a"]) == "open"  # type: ignore[arg-type]


def test_anonymous_post_without_session_is_refused(sqlite_world: World) -> None:
    """A POST from a browser that never loaded a form has no token at all: 403."""
    with TestClient(sqlite_world.clients[ANON].app) as stranger:
        response = stranger.post(f"/tasks/{sqlite_world.ids['task_a']}/ack", follow_redirects=False)
    assert response.status_code == 403


def test_reading_out_of_scope_writes_no_audit_entry(sqlite_world: World) -> None:
    """A 404 for another school's pupil leaves no trace of that pupil's case being read."""
    upn_b = sqlite_world.ids["upn_b"]
    with Session(sqlite_world.engine) as session:
        before = len(session.exec(select(AuditEntry).where(AuditEntry.upn == upn_b)).all())
    assert sqlite_world.call("staff_a", "GET", f"/pupils/{upn_b}") == 404
    with Session(sqlite_world.engine) as session:
        after = len(session.exec(select(AuditEntry).where(AuditEntry.upn == upn_b)).all())
    assert after == before


def _case_views(world: World, upn: object) -> list[AuditEntry]:
    with Session(world.engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.upn == upn, AuditEntry.kind == "case.viewed")
        return list(session.exec(stmt).all())


@pytest.mark.parametrize("path", ["/audit/export?format=jsonl&upn={upn}", "/audit?upn={upn}"])
def test_another_schools_headteacher_reading_a_trail_is_refused_unrecorded(
    sqlite_world: World, path: str
) -> None:
    """Issue 19: head_b asking for school A's pupil's trail gets 404 and writes no case.viewed;
    head_a asking for the same pupil gets it, recorded against the pupil's school."""
    upn_a = sqlite_world.ids["upn_a"]
    before = len(_case_views(sqlite_world, upn_a))
    assert sqlite_world.call("head_b", "GET", path.format(upn=upn_a)) == 404
    assert len(_case_views(sqlite_world, upn_a)) == before
    assert sqlite_world.call("head_a", "GET", path.format(upn=upn_a)) == 200
    latest = _case_views(sqlite_world, upn_a)[-1]
    assert (latest.actor, latest.urn) == (USERS["head_a"][0], URN_A)


# --- the same rules on PostgreSQL (a subset) ---------------------------------------------------

PG_CASES = [
    ("GET", "/tasks/{task_b}", "staff_a", 404),
    ("GET", "/tasks/{task_b}", "la", 200),
    ("GET", "/pupils/{upn_b}", "head_a", 404),
    ("GET", "/pupils/{upn_a}", "head_a", 200),
    ("GET", "/letters/{letter_b}", "auditor_a", 404),
    ("GET", "/audit", "staff_a", 403),
    ("GET", "/audit", "auditor_la", 200),
    ("GET", "/overview", "la", 200),
    ("GET", "/tasks", ANON, 302),
    ("POST", "/tasks/{task_a}/ack", "auditor_a", 403),
    ("POST", "/tasks/{task_b}/ack", "officer_a", 404),
    ("POST", "/decisions/{decision_a}", "staff_a", 403),
    ("POST", "/decisions/{decision_b}", "head_a", 404),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "who", "expected"), PG_CASES)
def test_access_rules_hold_on_postgres(
    postgres_world: World, method: str, path: str, who: str, expected: int
) -> None:
    """Scope and role checks give the same answers on PostgreSQL."""
    data = {"outcome": "approve", "reason": "r"} if "decisions" in path else None
    assert postgres_world.call(who, method, path.format(**postgres_world.ids), data) == expected


@pytest.mark.postgres
def test_acknowledge_in_scope_works_on_postgres(postgres_world: World) -> None:
    """A school's attendance officer acknowledges their own task on PostgreSQL too."""
    task_id = _fresh_task(postgres_world, "a")
    assert postgres_world.call("officer_a", "POST", f"/tasks/{task_id}/ack") == 303
    assert _task_status(postgres_world, task_id) == "acknowledged"
