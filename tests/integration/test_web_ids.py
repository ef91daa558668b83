"""Ids no row can have (beyond the INTEGER range, or below 1) are the app's own 404 page.

Before, `/tasks/99999999999999999999999` reached the database, which refused to compare the
number (SQLite OverflowError, PostgreSQL "integer out of range"): a 500 with no page.
"""

from __future__ import annotations

import pytest

from casework.web.app import _SECURITY_HEADERS
from tests.integration.test_web_access import World, postgres_world, sqlite_world

__all__ = ["postgres_world", "sqlite_world"]  # the worlds are fixtures shared with that module

HUGE = "99999999999999999999999"
JUST_OVER = str(2**31)  # fits SQLite's 64 bits, not PostgreSQL's INTEGER
ROUTES = [
    ("GET", "/tasks/{id}"),
    ("POST", "/tasks/{id}/ack"),
    ("POST", "/tasks/{id}/complete"),
    ("GET", "/letters/{id}"),
    ("POST", "/decisions/{id}"),
]
CASES = [
    pytest.param(method, path.format(id=value), id=f"{method} {path.format(id=value)}")
    for method, path in ROUTES
    for value in (HUGE, JUST_OVER, "0", "-1")
]


def _check_not_found(world: World, method: str, path: str) -> None:
    client = world.clients["la"]
    data = {"csrf_token": world.tokens["la"], "outcome": "approve", "reason": "r"}
    response = client.request(
        method, path, data=data if method == "POST" else None, follow_redirects=False
    )
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert response.headers["content-type"].startswith("text/html")
    for name, value in _SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()


@pytest.mark.parametrize(("method", "path"), CASES)
def test_out_of_range_ids_answer_404_with_the_apps_page_on_sqlite(
    sqlite_world: World, method: str, path: str
) -> None:
    """Too large, zero or negative: the 404 page and headers, never a 500."""
    _check_not_found(sqlite_world, method, path)


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path"), CASES)
def test_out_of_range_ids_answer_404_with_the_apps_page_on_postgres(
    postgres_world: World, method: str, path: str
) -> None:
    """PostgreSQL's 32-bit INTEGER ids: the same 404s."""
    _check_not_found(postgres_world, method, path)
