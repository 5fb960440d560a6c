"""The distribution is one import package, `claimbench`: its package list misses no folder, the
wheel holds nothing else and carries the package data, and the command's basics behave."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, run_cli

import claimbench

FOLDERS = ("harness", "tasks", "models", "reports", "leaderboards")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _tree_packages() -> set[str]:
    found = {"claimbench"}
    for folder in FOLDERS:
        for init in (REPO / folder).rglob("__init__.py"):
            found.add(".".join(("claimbench", *init.parent.relative_to(REPO).parts)))
    return found


def test_the_package_list_holds_every_folder_with_an_init_file():
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _tree_packages()
    assert setuptools["package-dir"] == {"claimbench": "claimbench", **{f"claimbench.{f}": f for f in FOLDERS}}


def test_entry_points_and_the_console_script_name_the_namespace():
    groups = PYPROJECT["project"]["entry-points"]
    refs = [ref for group in groups.values() for ref in group.values()] + list(PYPROJECT["project"]["scripts"].values())
    assert refs and all(ref.startswith("claimbench.") for ref in refs), [r for r in refs if not r.startswith("claimbench.")]


def test_the_public_api_and_version():
    assert callable(claimbench.evaluate) and claimbench.__version__ == "0.1.0"
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"claimbench {claimbench.__version__}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel built, without network, from a copy of the files the distribution is made of."""
    pytest.importorskip("setuptools")
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "results", "site", "*.egg-info")
    for folder in (*FOLDERS, "claimbench"):
        shutil.copytree(REPO / folder, src / folder, ignore=skip)
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    [whl] = out.glob("claimbench-*.whl")
    return zipfile.ZipFile(whl)


def test_the_wheel_holds_only_claimbench_with_its_package_data(wheel):
    names = wheel.namelist()
    assert {n.split("/")[0] for n in names} == {"claimbench", f"claimbench-{claimbench.__version__}.dist-info"}
    modules = {str(Path("claimbench", p.relative_to(REPO))) for f in FOLDERS for p in (REPO / f).rglob("*.py")}
    assert modules <= set(names), sorted(modules - set(names))[:5]
    data = ["claimbench/tasks/multihop/bamboogle.yaml", "claimbench/tasks/demo/arithmetic.jsonl",
            "claimbench/harness/schemas/run_result.schema.json", "claimbench/reports/templates/report.html.j2",
            "claimbench/leaderboards/builder/templates/index.html.j2", "claimbench/leaderboards/claims/claims.schema.json",
            "claimbench/leaderboards/claims/self_ask.yaml",
            "claimbench/leaderboards/models.yaml", "claimbench/__main__.py", "claimbench/tasks/multihop/data/musique/LICENSE",
            "claimbench/tasks/multihop/data/2wikimultihopqa/dev_first1000_with_aliases.json"]
    assert all(d in names for d in data), [d for d in data if d not in names]
    assert not any(n.startswith(("claimbench/leaderboards/results/", "claimbench/leaderboards/site/")) for n in names)


def test_list_into_a_closed_pipe_exits_quietly():
    """`claimbench list tasks | head -1`: the reader goes away; no BrokenPipe traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "claimbench", "list", "tasks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_refused_run_leaves_no_result_folder(tmp_path):
    out = tmp_path / "runs" / "deep"
    res = run_cli("run", "--model", "scripted:no_such_option=1", "--tasks", "demo_arithmetic", "--output", str(out),
                  "--cache", ":memory:")
    assert res.returncode == 2 and "no_such_option" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "runs").exists()
