"""Files under the var folder are private to the app's user (issue 19), and HSTS is sent when
the public URL is HTTPS."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from tests.web_factories import TestClient, web_app


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_reports_and_folders_are_created_private(tmp_path: Path) -> None:
    """Starting from a permissive umask and a world-readable old database, a CLI run leaves the
    var folder 0700, the database 0600, and the import report it writes 0600 in a 0700 folder."""
    from casework.cli.app import app

    os.umask(0o022)
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    old = var / "pathway.db"
    old.touch(mode=0o644)
    old.chmod(0o644)
    bad = tmp_path / "schools.csv"
    bad.write_text("urn,name,la_code,phase,am_register_closes,pm_register_closes\nx,,1,2,3,4\n")
    env = {"PATHWAY_VAR_DIR": str(var), "PATHWAY_DATABASE_URL": ""}
    result = CliRunner().invoke(app, ["import", "schools", str(bad)], env=env)
    assert result.exit_code == 1, result.output  # the row is rejected and reported
    reports = list((var / "imports").glob("*.csv"))
    assert reports
    assert _mode(var) == 0o700
    assert _mode(old) == 0o600
    assert _mode(var / "imports") == 0o700
    assert {_mode(p) for p in reports} == {0o600}
    assert {_mode(p) for p in var.rglob("*") if p.is_file()} == {0o600}


def test_hsts_only_when_served_over_https(sqlite_url: str, tmp_path: Path) -> None:
    secure = web_app(sqlite_url, tmp_path / "var", public_base_url="https://pathway.example.org")
    with TestClient(secure, base_url="https://testserver") as client:
        header = client.get("/healthz").headers.get("strict-transport-security")
    assert header == "max-age=31536000; includeSubDomains"
    with TestClient(web_app(sqlite_url, tmp_path / "var")) as client:
        assert "strict-transport-security" not in client.get("/healthz").headers
