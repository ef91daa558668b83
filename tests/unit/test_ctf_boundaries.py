"""The CTF and marks-profile modules of `casework.imports` are pure like the core: no database,
framework or settings imports, and no clock (the file's own DateTime is the only "now")."""

from __future__ import annotations

import ast

import pytest

from tests.unit.test_boundaries import FORBIDDEN, ROOT, _imports

PURE = [
    "casework/imports/ctf.py",
    "casework/imports/ctf_marks.py",
    "casework/imports/ctf_rows.py",
    "casework/imports/ctf_writer.py",
    "casework/imports/mark_profiles.py",
    "casework/imports/profiled_marks.py",
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
