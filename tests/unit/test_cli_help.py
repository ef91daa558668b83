"""`pathway … --help` names each value by its real type (TEXT, INTEGER, YYYY-MM-DD, PATH, or its
choices), never Typer's placeholders (`<str>`, `<int>`, `<list[str]>`); `--kind` takes and lists
only the valid kinds."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from casework.cli.app import app
from casework.cli.types import DecisionKind
from casework.core.ladder.proposals import TaskKind

PLACEHOLDER = re.compile(r"<[^<>\s]+>")
WIDE = {"COLUMNS": "200"}


def _paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _paths(sub, (*path, name))
    return found


COMMANDS = _paths(typer.main.get_command(app))


def _help(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


class TestHelpTypes:
    def test_every_command_has_a_help_page_to_check(self) -> None:
        """The walk finds the command tree (so the test below checks something)."""
        assert ("tasks", "complete") in COMMANDS
        assert ("audit", "export") in COMMANDS
        assert len(COMMANDS) > 30

    @pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "pathway")
    def test_help_shows_no_placeholder_types_when_any_command_is_asked(
        self, path: tuple[str, ...]
    ) -> None:
        """No `<str>`-style placeholder on any help page."""
        assert PLACEHOLDER.findall(_help(*path)) == []

    def test_values_are_named_by_type_when_no_name_was_given(self) -> None:
        """Text, integers, dates, folders and choices, each by its plain name."""
        assert "DECISION_ID INTEGER" in _help("decide")
        assert "--reason TEXT" in _help("decide")
        assert "--factor TEXT" in _help("decide")
        assert "--from YYYY-MM-DD" in _help("leave", "request")
        assert "--out DIRECTORY" in _help("seed")
        assert "--schools INTEGER" in _help("seed")
        assert "--session [AM|PM]" in _help("sweep")
        assert "--format [jsonl|csv|pdf]" in _help("audit", "export")
        assert "KIND [schools|calendar|pupils|contacts|marks|ctf]" in _help("import")
        assert "Usage: pathway import [OPTIONS] {KIND} {FILE}" in _help("import")


class TestKindChoices:
    def test_task_kind_help_lists_every_kind_when_asked(self) -> None:
        """`--kind KIND` and each task kind in the help of the commands that take one."""
        for command in ("ack", "complete", "assign"):
            page = " ".join(_help("tasks", command).split())
            assert "--kind KIND" in page
            assert all(kind.value in page for kind in TaskKind)

    def test_decision_kind_help_lists_every_kind_when_asked(self) -> None:
        page = " ".join(_help("decide").split())
        assert "--kind KIND" in page
        assert all(kind.value in page for kind in DecisionKind)

    @pytest.mark.parametrize(
        ("args", "first"),
        [
            (["tasks", "complete", "--kind", "visit", "--outcome", "held"], "call_parent"),
            (["decide", "--upn", "X", "--kind", "fine", "--approve"], "notice_to_improve"),
        ],
    )  # fmt: skip
    def test_unknown_kind_is_a_usage_error_naming_the_valid_ones_when_given(
        self, args: list[str], first: str
    ) -> None:
        """Refused before anything runs (exit 2), with the valid kinds listed."""
        result = CliRunner().invoke(app, args, env=WIDE)
        assert result.exit_code == 2
        assert f"is not one of '{first}'" in " ".join(result.output.split())
