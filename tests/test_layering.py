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


def _absolute_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


def _imports(path: Path) -> set[str]:
    """The project's sub-packages a file imports (`claimbench.tasks.x` counts as `tasks`)."""
    return {name.split(".")[1] for name in _absolute_imports(path) if name.startswith("claimbench.") and "." in name}


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_respects_layering(package):
    bad = {}
    for p in (REPO / package).rglob("*.py"):
        banned = RULES[package] - ({"leaderboards", "reports"} if p == REPO / "harness" / "cli.py" else set())
        bad[str(p.relative_to(REPO))] = sorted(_imports(p) & banned)
    assert not {k: v for k, v in bad.items() if v}


def test_no_file_imports_a_bare_top_level_name():
    """Everything installs under `claimbench`: an import of `harness`, `tasks`, `models`, `reports` or
    `leaderboards` would find a user's `tasks.py` (or another distribution) instead, or load a second
    copy of a module beside its `claimbench.` twin."""
    bare = set(RULES)
    found = {}
    for folder in (*RULES, "claimbench", "tests", "benchmarks", "examples"):
        for p in (REPO / folder).rglob("*.py"):
            hits = sorted(n for n in _absolute_imports(p) if n.split(".")[0] in bare)
            if hits:
                found[str(p.relative_to(REPO))] = hits
    assert not found


def test_reports_and_leaderboards_know_no_metric_by_name():
    """They render from the metadata each metric writes into results.json: no string in their code
    (or templates) names a registered metric, so a plug-in metric renders as ours do."""
    from claimbench.harness import registry

    names = set(registry.metrics.names())
    found = {}
    for package in ("reports", "leaderboards"):
        for p in (REPO / package).rglob("*.py"):
            consts = {n.value for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.Constant)
                      and isinstance(n.value, str)}
            hits = sorted(c for c in consts if any(c == m or c.startswith((m + ":", m + "_by", m + "[")) for m in names))
            if hits:
                found[str(p.relative_to(REPO))] = hits
        for p in (REPO / package).rglob("*.j2"):
            hits = sorted(m for m in names if f'"{m}"' in p.read_text() or f"'{m}'" in p.read_text())
            if hits:
                found[str(p.relative_to(REPO))] = hits
    assert not found


def test_the_engine_holds_no_task_familys_code():
    """Family-specific metrics and helpers live with their family under tasks/; the metrics library
    in harness/metrics is what any task may use."""
    entry_points = (REPO / "pyproject.toml").read_text().split('[project.entry-points."claimbench.metrics"]')[1]
    family = {"compositionality_gap": "claimbench.tasks.multihop.", "lens_curves": "claimbench.tasks.idiomem."}
    for name, where in family.items():
        assert f'{name} = "{where}' in entry_points
    assert not (REPO / "harness" / "search.py").exists() and (REPO / "harness" / "metrics" / "__init__.py").is_file()


def _module_imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved against its own package."""
    package = ["claimbench", *path.relative_to(REPO).parent.parts]
    out = set(_absolute_imports(path))
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            if node.module:
                out.add(".".join([*base, node.module]))
            out.update(".".join([*base, a.name]) for a in node.names)
    return out


def test_claims_inference_and_the_site_builder_stay_apart():
    """Verdicts are computed without the site (the CI gate runs `claimbench claims` alone); the
    builder draws them. Neither knows the other's internals beyond that one direction."""
    claims = {name for p in (REPO / "leaderboards" / "claims").rglob("*.py") for name in _module_imports(p)}
    assert not {n for n in claims if n.startswith("claimbench.leaderboards.builder")}


def test_the_engine_declares_its_vocabularies_once_and_families_own_theirs():
    """Registries are declared in harness/registry.py (the engine's groups) or by the family they
    serve (the multi-hop family's search engines); `claimbench list` discovers them all."""
    from claimbench.harness import registry
    from claimbench.tasks.multihop import search

    assert search.engines.group == "claimbench.search" and not hasattr(registry, "search")
    assert {"requests", "views", "search", "tasks", "models", "metrics"} <= set(registry.listings())


def test_the_task_model_knows_no_yaml():
    """harness/task.py is the task model; reading YAML files, includes and overrides is task_files.py's."""
    assert not {n for n in _module_imports(REPO / "harness" / "task.py") if n.endswith(("yaml_files", "task_files"))}
