"""axe-core run inside the page under test (the axe.min.js that axe-playwright-python ships).

`assert_accessible(page)` injects axe, runs every WCAG 2.x A/AA rule on the whole document and
fails the test with each violation's rule, impact and first offending element.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from playwright.sync_api import Page

RUN_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@cache
def _axe_script() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The violations axe-core finds on the page as it stands now."""
    page.evaluate(_axe_script())
    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", RUN_OPTIONS)
    return list(results["violations"])


def assert_accessible(page: Page) -> None:
    """Fail with a readable list when axe-core reports any violation."""
    violations = axe_violations(page)
    lines = []
    for v in violations:
        where = v["nodes"][0]["target"] if v["nodes"] else "?"
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {where}")
    assert not violations, (
        f"axe-core found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(lines)
    )
