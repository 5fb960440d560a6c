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
    assert result["model"]["adapter"] == "last-word"  # its registry name, never its module
    assert "plugin_words (v1) on last-word:shout=true" in res.stdout


def test_plugin_reader_reads_its_own_format_for_its_task(plugin_site, tmp_path):
    assert "arrow_lines" in run_cli("list", "readers", env=plugin_site).stdout
    res = run_cli("run", "--model", "last-word", "--tasks", "plugin_arrows", "--output", str(tmp_path),
                  "--cache", ":memory:", env=plugin_site)
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "plugin_arrows" / "results.json").read_text())
    assert result["metrics"]["exact_match"]["value"] == 1.0 and result["metrics"]["exact_match"]["n"] == 2


def test_plugin_model_refused_for_a_task_it_cannot_serve(plugin_site, tmp_path):
    res = run_cli("run", "--model", "last-word", "--tasks", "demo_choice", "--cache", str(tmp_path / "c.sqlite"),
                  "--output", str(tmp_path), env=plugin_site)
    assert res.returncode == 2
    assert "serves only generate" in res.stderr and "needs loglikelihood" in res.stderr


def test_plugin_executor_gives_the_serial_results_and_fills_the_cache(plugin_site, tmp_path):
    """A third-party executor (batches served last first) plugs in by entry point; the dispatcher's
    fixed batches make the results identical to the serial executor's, and every batch is cached."""
    runs = {}
    for executor in ("serial", "last-first"):
        out = tmp_path / executor
        res = run_cli("run", "--model", "last-word", "--tasks", "plugin_words,demo_arithmetic", "--batch-size", "2",
                      "--executor", executor, "--output", str(out), "--cache", str(tmp_path / f"{executor}.sqlite"),
                      env=plugin_site)
        assert res.returncode == 0, res.stderr
        runs[executor] = {p.parent.name: json.loads(p.read_text()) for p in out.rglob("results.json")}
    for task, serial in runs["serial"].items():
        other = runs["last-first"][task]
        assert other["config"]["executor"] == "last-first" and serial["config"]["executor"] == "serial"
        assert other["metrics"] == serial["metrics"] and other["samples"] == serial["samples"]
    rerun = run_cli("run", "--model", "last-word", "--tasks", "plugin_words,demo_arithmetic", "--executor", "serial",
                    "--output", str(tmp_path / "again"), "--cache", str(tmp_path / "last-first.sqlite"), env=plugin_site)
    lines = [line for line in rerun.stdout.splitlines() if "requests " in line]
    assert len(lines) == 2 and all(", 0 new;" in line for line in lines), lines  # every batch it served was cached


def test_plugin_metric_renders_from_its_own_metadata(plugin_site, tmp_path):
    """The plug-in's metric shows up in reports and on the site (table column and its bars view)
    with no change to ClaimBench."""
    run = tmp_path / "run"
    assert run_cli("run", "--model", "last-word", "--tasks", "plugin_words", "--output", str(run), "--cache", ":memory:",
                   env=plugin_site).returncode == 0
    site = tmp_path / "site"
    res = run_cli("leaderboard", str(run), "--out", str(site), "--no-progress", env=plugin_site)
    assert res.returncode == 0, res.stderr
    assert "answer_length" in (site / "leaderboard.md").read_text()
    report = next((site / "runs").rglob("*.html")).read_text()
    assert "answer length: by target length" in report and report.count('src="data:image/png;base64,') >= 1


def test_plugin_request_kind_model_task_and_view_kind_run_and_render(plugin_site, tmp_path):
    """A request kind ClaimBench has never seen, a model serving it, a task asking it and a metric
    with a view kind of the plug-in's own: listed, run, cached, refused where unserved, and drawn
    in the report and on the site, with no edit to ClaimBench."""
    assert "count_letters" in run_cli("list", "requests", env=plugin_site).stdout
    assert "histogram" in run_cli("list", "views", env=plugin_site).stdout
    assert "count_letters" not in run_cli("list", "requests").stdout
    run, cache = tmp_path / "run", str(tmp_path / "c.sqlite")
    res = run_cli("run", "--model", "letter-counter", "--tasks", "plugin_letters", "--output", str(run), "--cache", cache,
                  env=plugin_site)
    assert res.returncode == 0, res.stderr
    result = json.loads((run / "plugin_letters" / "results.json").read_text())
    metric = result["metrics"]["count_error"]
    assert metric["extra"]["errors"] == {"0": 3, "1": 3}  # Anna, Bob, Otto: the capital is not counted
    assert metric["value"] == 0.5 and metric["metadata"]["views"][0]["kind"] == "histogram"
    again = run_cli("run", "--model", "letter-counter", "--tasks", "plugin_letters", "--output", str(tmp_path / "again"),
                    "--cache", cache, env=plugin_site)
    assert again.returncode == 0 and ", 0 new;" in again.stdout
    refused = run_cli("run", "--model", "scripted", "--tasks", "plugin_letters", "--output", str(tmp_path / "s"),
                      "--cache", ":memory:", env=plugin_site)
    assert refused.returncode == 2 and "needs count_letters" in refused.stderr
    site = tmp_path / "site"
    res = run_cli("leaderboard", str(run), "--out", str(site), "--no-progress", env=plugin_site)
    assert res.returncode == 0, res.stderr
    report = next((site / "runs").rglob("*.html")).read_text()
    assert "count error: errors" in report and 'src="data:image/png;base64,' in report
    plots = (site / "plots.html").read_text()
    assert "count error: errors" in plots and 'src="data:image/png;base64,' in plots
