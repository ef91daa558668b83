"""The functional core stays pure: its modules import no I/O framework and never read the clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = [
    "casework/codes.py",
    "casework/calendar.py",
    "casework/marks.py",
    "casework/measures.py",
    "casework/policy.py",
    "casework/lifecycle.py",
    "casework/audit.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "casework/ladder").glob("*.py")),
]
FORBIDDEN = (
    "sqlmodel",
    "sqlalchemy",
    "prefect",
    "fastapi",
    "typer",
    "notifications",
    "casework.settings",
    "casework.db",
    "casework.service",
    "casework.web",
    "casework.cli",
)
CLOCK_CALLS = {"now", "today", "utcnow", "time"}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", CORE)
def test_core_module_imports_no_shell_when_loaded(path: str) -> None:
    """A core module imports nothing that does I/O: databases, Prefect, web, CLI, settings."""
    tree = ast.parse((ROOT / path).read_text())
    bad = [name for name in _imports(tree) if name.startswith(FORBIDDEN)]
    assert bad == [], f"{path} imports {bad}"


@pytest.mark.parametrize("path", CORE)
def test_core_module_never_reads_the_clock_when_deciding(path: str) -> None:
    """`today` and `now` arrive as arguments: no datetime.now()/date.today() in the core."""
    tree = ast.parse((ROOT / path).read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"datetime", "date", "time"}
        and node.func.attr in CLOCK_CALLS
    ]
    assert calls == [], f"{path} reads the clock: {calls}"


def test_boundary_check_catches_a_forbidden_import_when_present() -> None:
    """The check itself can fail: a module importing sqlmodel is reported."""
    tree = ast.parse("import sqlmodel\nfrom casework.db import tables\n")
    assert [n for n in _imports(tree) if n.startswith(FORBIDDEN)] == ["sqlmodel", "casework.db"]
