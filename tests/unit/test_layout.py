"""The layout holds (docs/decisions/0007): a pure core, layers that import only downward, no cycles.

Read from the source, not from a running interpreter: every `import` and `from … import` in
every module counts, including those inside functions, because a deferred import is still a
dependency (it only hides a cycle).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("casework", "notifications", "flows")
# Libraries that compute and never do I/O: the only third-party imports the core may use.
PURE_LIBRARIES = frozenset(
    {"pydantic", "holidays", "stdnum", "phonenumbers", "email_validator", "babel", "defusedxml"}
)
CLOCK_CALLS = frozenset({"now", "today", "utcnow", "time"})


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Every module name the tree imports, relative imports resolved against `module`."""
    names: list[str] = []
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = base[: len(base) - node.level + 1] if node.level else []
            parent = ".".join([*prefix, *([node.module] if node.module else [])])
            names.append(parent)
            names += [f"{parent}.{alias.name}" for alias in node.names]
    return names


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a `from pkg import mod` counts as `pkg.mod`)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = imported_names(tree, name, path.name == "__init__.py")
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


MODULES = project_modules()
GRAPH = import_graph(MODULES)
CORE = sorted(name for name in MODULES if name.startswith("casework.core"))


def _all_imports(name: str) -> list[str]:
    path = MODULES[name]
    return imported_names(ast.parse(path.read_text()), name, path.name == "__init__.py")


def test_the_project_has_no_import_cycle() -> None:
    """Not one cycle among casework, notifications and flows, deferred imports included."""
    assert find_cycle(GRAPH) is None, f"import cycle: {' -> '.join(find_cycle(GRAPH) or [])}"


def test_the_cycle_check_can_fail_when_a_cycle_exists() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", CORE)
def test_core_imports_only_core_stdlib_and_pure_libraries(name: str) -> None:
    """casework/core/** imports casework.core, the standard library and pure libraries only."""
    bad = []
    for imported in _all_imports(name):
        top = imported.split(".")[0]
        if imported.startswith("casework.core") or imported == "casework":
            continue
        if top in sys.stdlib_module_names or top == "__future__" or top in PURE_LIBRARIES:
            continue
        bad.append(imported)
    assert bad == [], f"{name} imports {bad}"


@pytest.mark.parametrize("name", CORE)
def test_core_never_reads_the_clock(name: str) -> None:
    """`today` and `now` arrive as arguments: no datetime.now()/date.today() in the core."""
    tree = ast.parse(MODULES[name].read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"datetime", "date", "time"}
        and node.func.attr in CLOCK_CALLS
    ]
    assert calls == [], f"{name} reads the clock: {calls}"


def _importers(prefix: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in MODULES:
        if name == prefix or name.startswith(prefix + "."):
            bad = [i for i in _all_imports(name) if i.startswith(forbidden)]
            if bad:
                found[name] = bad
    return found


def test_nothing_under_casework_imports_flows() -> None:
    """Flows own the Prefect runtime and call casework; never the other way round."""
    assert _importers("casework", ("flows",)) == {}


def test_the_database_layer_never_imports_notifications_or_services() -> None:
    """casework/db stores rows; rendering and queueing messages belong to the service layer."""
    upward = ("notifications", "casework.service", "casework.web", "casework.cli", "flows")
    assert _importers("casework.db", upward) == {}


def test_notifications_never_import_the_service_web_or_cli_layers() -> None:
    assert _importers("notifications", ("casework.service", "casework.web", "casework.cli")) == {}


def test_the_core_imports_no_database_prefect_web_or_provider() -> None:
    """Named explicitly so that a failure says which layer leaked in."""
    forbidden = (
        "sqlmodel",
        "sqlalchemy",
        "prefect",
        "fastapi",
        "typer",
        "jinja2",
        "notifications",
        "twilio",
        "aiosmtplib",
        "weasyprint",
        "casework.db",
        "casework.service",
        "casework.web",
        "casework.cli",
        "casework.settings",
        "flows",
    )
    assert _importers("casework.core", forbidden) == {}


def test_the_layout_checks_can_fail_when_a_forbidden_import_is_present() -> None:
    tree = ast.parse("import sqlmodel\nfrom casework.db import tables\nfrom . import x\n")
    names = imported_names(tree, "casework.core.ladder.engine", is_package=False)
    assert names == [
        "sqlmodel",
        "casework.db",
        "casework.db.tables",
        "casework.core.ladder",
        "casework.core.ladder.x",
    ]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("casework.service", ("casework.web", "casework.cli", "flows")),
        ("casework.web", ("casework.cli", "flows")),
        ("notifications", ("flows", "casework.cli", "casework.web")),
        ("casework.seed", ("casework.db", "casework.service", "casework.web", "notifications")),
    ],
)
def test_each_shell_layer_imports_only_downward(layer: str, forbidden: tuple[str, ...]) -> None:
    """Services never reach up into the web app, the CLI or flows; the web never into the CLI."""
    assert _importers(layer, forbidden) == {}
