"""`pathway audit export` and `pathway audit verify` through the Typer app, on SQLite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casework.db.session import get_engine
from tests.integration.test_audit_log import append, raw


class TestCli:
    @pytest.fixture
    def cli_env(self, sqlite_url: str, tmp_path: Path) -> dict[str, str]:
        append(get_engine(sqlite_url), 5)
        return {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}

    def invoke(self, env: dict[str, str], *args: str) -> Any:
        from casework.cli.app import app

        return CliRunner().invoke(app, list(args), env=env)

    def test_verify_reports_ok_then_broken_when_a_row_is_edited(
        self, cli_env: dict[str, str]
    ) -> None:
        """`pathway audit verify` exits 0 on an intact chain and 1 naming the altered entry."""
        ok = self.invoke(cli_env, "audit", "verify")
        assert ok.exit_code == 0
        assert ok.stdout.splitlines()[-1].startswith("audit chain OK: 5 entries")
        raw(get_engine(cli_env["PATHWAY_DATABASE_URL"]), "UPDATE audit_entries SET urn = 'X'")
        bad = self.invoke(cli_env, "audit", "verify")
        assert bad.exit_code == 1
        assert bad.stdout.startswith("audit chain BROKEN at seq 1: ")

    def test_export_writes_jsonl_to_stdout_when_no_out_is_given(
        self, cli_env: dict[str, str]
    ) -> None:
        """jsonl goes to stdout, one entry per line, filters applied."""
        result = self.invoke(cli_env, "audit", "export", "--format", "jsonl", "--school", "100001")
        assert result.exit_code == 0, result.output
        seqs = [json.loads(line)["seq"] for line in result.stdout.splitlines()]
        assert seqs == [2, 4]

    def test_export_pdf_lands_in_the_var_folder_when_no_out_is_given(
        self, cli_env: dict[str, str]
    ) -> None:
        """A PDF without --out is written under var/audit and its path printed."""
        result = self.invoke(cli_env, "audit", "export", "--format", "pdf", "--to", "2025-03-05")
        assert result.exit_code == 0, result.output
        path = Path(result.stdout.strip())
        assert path.parent == Path(cli_env["PATHWAY_VAR_DIR"]) / "audit"
        assert path.read_bytes().startswith(b"%PDF")

    def test_export_refuses_a_bad_date_when_given(self, cli_env: dict[str, str]) -> None:
        """An unparseable --from is a usage error, not a traceback."""
        result = self.invoke(cli_env, "audit", "export", "--format", "csv", "--from", "03/03/25")
        assert result.exit_code == 2


TERMINAL = {"TTY_COMPATIBLE": "1"}  # rich (and so the CLI's progress) then draws as on a TTY


class TestExportProgress:
    """A whole-trail PDF takes minutes: its phases go to stderr, and stdout stays the path alone."""

    @pytest.fixture
    def cli_env(self, sqlite_url: str, tmp_path: Path) -> dict[str, str]:
        append(get_engine(sqlite_url), 5)
        return {"PATHWAY_DATABASE_URL": sqlite_url, "PATHWAY_VAR_DIR": str(tmp_path / "var")}

    def invoke(self, env: dict[str, str], *args: str) -> Any:
        from casework.cli.app import app

        return CliRunner().invoke(app, list(args), env=env)

    def test_pdf_export_names_each_phase_on_stderr_when_stderr_is_not_a_terminal(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """Off a terminal (a log): one plain line per phase on stderr, the path alone on stdout."""
        out = tmp_path / "trail.pdf"
        result = self.invoke(cli_env, "audit", "export", "--format", "pdf", "--out", str(out))
        assert result.exit_code == 0, result.output
        assert result.stdout == f"{out}\n"
        assert result.stderr.splitlines() == [
            "verifying the whole audit chain …",
            "writing 5 entries to the PDF …",
            "saving the PDF …",
        ]
        assert out.read_bytes().startswith(b"%PDF")

    def test_pdf_export_checks_only_new_entries_unless_a_full_check_is_asked(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """The first export checks the whole chain; later ones start from its verified head,
        and --full-check reads the whole chain again."""
        out = tmp_path / "trail.pdf"
        args = ("audit", "export", "--format", "pdf", "--out", str(out))
        first = self.invoke(cli_env, *args)
        again = self.invoke(cli_env, *args)
        full = self.invoke(cli_env, *args, "--full-check")
        assert [r.exit_code for r in (first, again, full)] == [0, 0, 0], again.output
        assert [r.stderr.splitlines()[0] for r in (first, again, full)] == [
            "verifying the whole audit chain …",
            "verifying the audit chain after seq 5 (checked before that) …",
            "verifying the whole audit chain …",
        ]

    def test_pdf_export_draws_a_bar_on_stderr_when_stderr_is_a_terminal(
        self, cli_env: dict[str, str], tmp_path: Path
    ) -> None:
        """On a terminal: a transient bar on stderr; stdout byte-identical to the plain run."""
        out = tmp_path / "trail.pdf"
        plain = self.invoke(cli_env, "audit", "export", "--format", "pdf", "--out", str(out))
        tty = self.invoke(
            {**cli_env, **TERMINAL}, "audit", "export", "--format", "pdf", "--out", str(out)
        )
        assert tty.exit_code == 0, tty.output
        assert tty.stdout_bytes == plain.stdout_bytes == f"{out}\n".encode()
        assert "\x1b[" in tty.stderr  # drawn with terminal controls
        assert "saving the PDF …" not in tty.stderr  # not the log lines

    def test_text_exports_stay_silent_on_stderr_when_on_a_terminal(
        self, cli_env: dict[str, str]
    ) -> None:
        """jsonl and csv stream at once: no progress, stdout the same with or without a TTY."""
        for fmt in ("jsonl", "csv"):
            plain = self.invoke(cli_env, "audit", "export", "--format", fmt)
            tty = self.invoke({**cli_env, **TERMINAL}, "audit", "export", "--format", fmt)
            assert tty.exit_code == 0, tty.output
            assert tty.stdout_bytes == plain.stdout_bytes
            assert tty.stderr_bytes == plain.stderr_bytes == b""
