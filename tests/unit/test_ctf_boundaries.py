"""The CTF and marks-profile modules of `casework.imports` are pure like the core: no database,
framework or settings imports, and no clock (the file's own DateTime is the only "now").

Self-contained on purpose, so it keeps working whatever happens to the other boundary tests."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from casework.imports import (
    ctf,
    ctf_marks,
    ctf_rows,
    ctf_writer,
    mark_profiles,
    profiled_marks,
)

ROOT = Path(__file__).resolve().parents[2]
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


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


# Found through the modules themselves, so the check follows them if the package moves.
PURE = [
    str(Path(module.__file__ or "").relative_to(ROOT))
    for module in (ctf, ctf_marks, ctf_rows, ctf_writer, mark_profiles, profiled_marks)
]


@pytest.mark.parametrize("path", PURE)
def test_ctf_module_imports_no_shell_when_loaded(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    bad = [name for name in _imports(tree) if name.startswith(FORBIDDEN)]
    assert bad == [], f"{path} imports {bad}"


@pytest.mark.parametrize("path", PURE)
def test_ctf_module_never_reads_the_clock_when_loaded(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"now", "today", "utcnow"}
    ]
    assert calls == [], f"{path} reads the clock: {calls}"
