"""DESIGN.md's wiring rules: harness never imports the wings; tasks and models never meet.

The one exception is harness/cli.py, which wires leaderboards and reports into commands
(tasks and models still come to it only through the registry)."""
import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RULES = {  # package -> top-level packages it must not import
    "harness": {"tasks", "models", "leaderboards", "reports"},
    "tasks": {"models", "leaderboards", "reports"},
    "models": {"tasks", "leaderboards", "reports"},
    "leaderboards": {"tasks", "models"},
    "reports": {"tasks", "models"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_respects_layering(package):
    bad = {}
    for p in (REPO / package).rglob("*.py"):
        banned = RULES[package] - ({"leaderboards", "reports"} if p == REPO / "harness" / "cli.py" else set())
        bad[str(p.relative_to(REPO))] = sorted(_imports(p) & banned)
    assert not {k: v for k, v in bad.items() if v}
