"""The CI example's own gate step, run as the workflow runs it (its shell command and env), against
the scripted model: it passes an unchanged evaluation and fails a planted regression, a dropped
task and a shrunk sample."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli

WORKFLOW = REPO / "examples" / "ci" / "claimbench-gate.yml"
TASKS = "demo_arithmetic,demo_choice"


def _gate_step() -> dict:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["gate"]["steps"]
    [step] = [s for s in steps if "gate.sh" in s.get("run", "")]
    return step


@pytest.fixture
def baseline(tmp_path) -> Path:
    out = tmp_path / "baseline"
    res = run_cli("run", "--model", "scripted", "--tasks", TASKS, "--output", str(out), "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    return out


def _gate(tmp_path: Path, baseline: Path, name: str, **env: str) -> subprocess.CompletedProcess:
    step = _gate_step()
    full = {**os.environ, **step["env"], "BASELINE": str(baseline), "OUT": str(tmp_path / name), "MODEL": "scripted",
            "TASKS": TASKS, "LIMIT": "", "CLAIMBENCH_CACHE_DIR": str(tmp_path / name / "cache"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "-c", step["run"]], cwd=REPO, env=full, capture_output=True, text=True, timeout=300)


def test_the_workflow_gate_passes_an_unchanged_evaluation(tmp_path, baseline):
    res = _gate(tmp_path, baseline, "same")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "no regression" in res.stdout and (tmp_path / "same" / "compare.json").is_file()


@pytest.mark.parametrize("name, env, code, said", [
    ("regression", {"MODEL": "scripted:generate=echo"}, 4, "**REGRESSION**"),
    ("dropped-task", {"TASKS": "demo_arithmetic"}, 6, "**missing task** `demo_choice`"),
    ("shrunk", {"LIMIT": "5"}, 6, "**dropped rows** `demo_arithmetic`"),
])
def test_the_workflow_gate_fails_what_it_must(tmp_path, baseline, name, env, code, said):
    res = _gate(tmp_path, baseline, name, **env)
    assert res.returncode == code, res.stdout + res.stderr
    assert said in res.stdout
