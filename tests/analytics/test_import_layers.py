"""The analytics subpackages meet only through the shared modules at the top of ``lottocrm.analytics`` and
the mart (the record's owner): no cycle between them can come back unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

import lottocrm.analytics

ROOT = Path(lottocrm.analytics.__file__).parent
# Subpackage → subpackages it may import besides the mart, and why.
ALSO_ALLOWED = {
    "propensity": {"rules"},  # offers are boosted by the cross-sell rules mined for them
    "reports": {"queries"},  # the API and the dashboard deliver the queries' results
}


def _imported(path: Path) -> set[str]:
    """The ``lottocrm.analytics.<name>`` each import in ``path`` reaches (function-level ones too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[:2] == ["lottocrm", "analytics"] and len(parts) > 2:
                found.add(parts[2])
    return found


def _subpackages() -> set[str]:
    return {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}


def test_subpackages_import_only_the_shared_modules_the_mart_and_what_is_declared() -> None:
    subpackages = _subpackages()
    wrong = []
    for package in sorted(subpackages):
        for path in sorted((ROOT / package).rglob("*.py")):
            others = _imported(path) & subpackages - {package, "mart"}
            wrong += [
                f"{path.relative_to(ROOT)} imports {other}"
                for other in others - ALSO_ALLOWED.get(package, set())
            ]
    assert wrong == []


def test_the_shared_modules_import_no_subpackage() -> None:
    shared = ("errors", "time", "extracts", "lake_compute", "engine", "artifacts", "events")
    assert {name: _imported(ROOT / f"{name}.py") & _subpackages() for name in shared} == {
        name: set() for name in shared
    }
