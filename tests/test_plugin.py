"""A third-party package registers a task and a model by entry points; the CLI finds and runs them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

PLUGIN = Path(__file__).with_name("plugin_pkg")


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          "--target", str(target), str(PLUGIN)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PIP_CACHE_DIR": str(build)})
    assert res.returncode == 0, res.stdout + res.stderr
    return {"PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}


def test_plugin_is_listed(plugin_site):
    assert "plugin_words" in run_cli("list", "tasks", env=plugin_site).stdout
    assert "last-word" in run_cli("list", "models", env=plugin_site).stdout
    assert "plugin_words" not in run_cli("list", "tasks").stdout  # only when installed


def test_plugin_task_and_model_run_through_the_cli(plugin_site, tmp_path):
    res = run_cli("run", "--model", "last-word:shout=true", "--tasks", "plugin_words,demo_arithmetic",
                  "--output", str(tmp_path), "--cache", str(tmp_path / "c.sqlite"), env=plugin_site)
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "plugin_words" / "results.json").read_text())
    assert result["metrics"]["exact_match"]["value"] == 1.0  # "FOX" vs "fox" after normalisation
    assert result["model"]["adapter"] == "claimbench_plugin_echo.LastWordModel"
    assert "plugin_words (v1) on last-word:shout=true" in res.stdout


def test_plugin_model_refused_for_a_task_it_cannot_serve(plugin_site, tmp_path):
    res = run_cli("run", "--model", "last-word", "--tasks", "demo_choice", "--cache", str(tmp_path / "c.sqlite"),
                  "--output", str(tmp_path), env=plugin_site)
    assert res.returncode == 2
    assert "serves only generate" in res.stderr and "needs loglikelihood" in res.stderr
