"""The reports page: each user sees only reports in their scope; names cannot leave the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from casework.db.session import get_engine
from tests.web_factories import (
    URN_A,
    URN_B,
    USERS,
    TestClient,
    create_school,
    create_users,
    sign_in,
    web_app,
)

REPORTS = {
    f"governors-{URN_A}-2025-08-01-2025-11-19.pdf": URN_A,
    f"governors-{URN_B}-2025-08-01-2025-11-19.pdf": URN_B,
    "la-2025-08-01-2025-11-19.pdf": None,
}


@pytest.fixture
def app_with_reports(sqlite_url: str, tmp_path: Path) -> TestClient:
    engine = get_engine(sqlite_url)
    create_school(engine, URN_A)
    create_school(engine, URN_B)
    create_users(engine)
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in REPORTS:
        (folder / name).write_bytes(b"%PDF-1.7 test report " + name.encode())
    return TestClient(web_app(sqlite_url, tmp_path))


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("staff_a", {f"governors-{URN_A}-2025-08-01-2025-11-19.pdf"}),
        ("head_b", {f"governors-{URN_B}-2025-08-01-2025-11-19.pdf"}),
        ("la", set(REPORTS)),
        ("auditor_la", set(REPORTS)),
    ],
)
def test_reports_listed_and_served_only_in_scope_when_signed_in(
    app_with_reports: TestClient, user: str, visible: set[str]
) -> None:
    """A school user gets their school's governors' report; other reports are a 404."""
    client = app_with_reports
    sign_in(client, USERS[user][0])
    page = client.get("/reports").text
    for name in REPORTS:
        assert (name in page) == (name in visible)
        response = client.get(f"/reports/{name}")
        assert response.status_code == (200 if name in visible else 404)
        if name in visible:
            assert response.content.endswith(name.encode())


def test_report_download_refuses_other_files_when_named(app_with_reports: TestClient) -> None:
    """Only report names are served: the database or a path outside the folder is a 404."""
    client = app_with_reports
    sign_in(client, USERS["la"][0])
    for name in ("pathway.db", "..%2Fpathway.db", "governors-100001-x.exe"):
        assert client.get(f"/reports/{name}").status_code == 404


def test_reports_need_login_when_anonymous(app_with_reports: TestClient) -> None:
    """Anonymous requests are sent to the login page."""
    response = app_with_reports.get("/reports", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["location"]


def test_html_report_opens_in_the_browser_when_a_pdf_downloads(
    app_with_reports: TestClient, tmp_path: Path
) -> None:
    """The HTML report is served inline as UTF-8 HTML, with a policy that lets its own inline
    styles apply and runs no script; the PDF stays an attachment."""
    name = "la-2025-08-01-2025-11-19"
    (tmp_path / "reports" / f"{name}.html").write_text(
        "<!doctype html><style>h1{color:#0b0c0c}</style><h1>Attendance – LA</h1>",
        encoding="utf-8",
    )
    client = app_with_reports
    sign_in(client, USERS["la"][0])
    html = client.get(f"/reports/{name}.html")
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("inline;")
    policy = html.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert "Attendance – LA" in html.text
    pdf = client.get(f"/reports/{name}.pdf")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert f"{name}.html" in client.get("/reports").text
