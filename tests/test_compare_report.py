"""`claimbench report` and `claimbench compare` on real runs of the runner (scripted adapter)."""
from __future__ import annotations

import base64
import gzip
import json
import re

import numpy as np
import pytest
from conftest import COMMITTED_RESULTS, REPO, run_cli

from claimbench.harness import results, stats
from claimbench.harness.errors import ConfigError
from claimbench.harness.safe_paths import folder_name
from claimbench.reports import compare

TASK = "demo_arithmetic"


def _run(tmp_path, name: str, model: str) -> str:
    out = tmp_path / name
    res = run_cli("run", "--model", model, "--tasks", TASK, "--output", str(out), "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    return str(out)


def test_identical_runs_pass_and_a_planted_regression_fails(tmp_path):
    base = _run(tmp_path, "base", "scripted")
    same = _run(tmp_path, "same", "scripted")
    worse = _run(tmp_path, "worse", "scripted:generate=echo")  # answers by echoing the question: all wrong

    ok = run_cli("compare", base, same, "--fail-on-regression")
    assert ok.returncode == 0, ok.stderr
    assert "no regression" in ok.stdout and "REGRESSION" not in ok.stdout

    bad = run_cli("compare", base, worse, "--fail-on-regression", env={"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert bad.returncode == 4, bad.stdout + bad.stderr
    assert "**REGRESSION**" in bad.stdout and "**model changed**" in bad.stdout
    assert (tmp_path / "summary.md").read_text().strip() == bad.stdout.strip()

    # The same regression is reported but does not fail without the flag, nor within a loose tolerance
    # once the other model is accepted.
    assert run_cli("compare", base, worse).returncode == 0
    assert run_cli("compare", base, worse, "--tolerance", "1.0", "--fail-on-regression").returncode == 6
    assert run_cli("compare", base, worse, "--tolerance", "1.0", "--fail-on-regression", "--allow-model-change").returncode == 0


def test_paired_difference_matches_the_per_sample_scores(tmp_path):
    base = _run(tmp_path, "base", "scripted")
    worse = _run(tmp_path, "worse", "scripted:generate=echo")
    rows = {r.metric: r for r in compare.compare(base, worse).rows}
    em = rows["exact_match"]
    b = [s["scores"]["exact_match"] for s in _samples(base)]
    n = [s["scores"]["exact_match"] for s in _samples(worse)]
    expected = stats.paired_bootstrap(b, n)
    assert em.paired and em.n == len(b) == 60
    assert em.diff == pytest.approx(np.mean(n) - np.mean(b)) and em.ci == expected.ci
    assert em.regression and em.verdict == "REGRESSION"


def _samples(run_dir: str) -> list[dict]:
    (task_dir,) = [f.parent for f in results.find(run_dir)]
    return [json.loads(line) for line in (task_dir / "samples.jsonl").read_text().splitlines()]


def test_corpus_metrics_compare_by_value_with_ci_overlap():
    cc = COMMITTED_RESULTS / "compositional_celebrities"
    rows = {r.metric: r for r in compare.compare(cc / folder_name("gemma3-270m:backend=llamacpp"), cc / "smollm2-135m",
                                                   ["0.005"]).rows}
    base, new = (results.read(cc / m) for m in (folder_name("gemma3-270m:backend=llamacpp"), "smollm2-135m"))
    gap = rows["compositionality_gap"]
    assert not gap.paired and gap.ci is None
    b, n = base.metrics["compositionality_gap"], new.metrics["compositionality_gap"]
    assert gap.diff == pytest.approx(n["value"] - b["value"])
    assert gap.significant == (n["ci"][0] > b["ci"][1] or n["ci"][1] < b["ci"][0])  # by CI overlap
    # Gemma-3 answers Q1 far more often than SmolLM2: a regression, paired over every question
    assert rows["q1_correct"].regression and rows["q1_correct"].n == new.counts["rows"]


def test_compare_refuses_bad_input(tmp_path):
    base = _run(tmp_path, "base", "scripted")
    with pytest.raises(ConfigError, match="METRIC=NUMBER"):
        compare.parse_tolerances(["fid=lots"])
    with pytest.raises(ConfigError, match="cannot be negative"):
        compare.parse_tolerances(["-1"])
    res = run_cli("compare", base, str(COMMITTED_RESULTS / "idiomem" / "smollm2-135m"))
    assert res.returncode == 2 and "no task is in both runs" in res.stderr
    res = run_cli("compare", base, str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "no results.json under" in res.stderr


def test_report_writes_a_self_contained_page_per_task(tmp_path):
    run = _run(tmp_path, "run", "scripted")
    res = run_cli("report", run)
    assert res.returncode == 0, res.stderr
    (page,) = [p for p in (tmp_path / "run").rglob("report.html")]
    html = page.read_text()
    assert "exact_match" in html and "Provenance" in html
    assert "Failures on exact match" in html  # the scripted model cannot compose two operations
    inline = re.search(r'<script type="text/plain" class="data">([A-Za-z0-9+/=]+)</script>', html)  # the sample browser's
    rows = json.loads(gzip.decompress(base64.b64decode(inline.group(1))))["rows"]  # data, carried in the page itself
    assert [r["id"] for r in rows] == [s["id"] for s in results.read_samples(page.parent)]
    assert "http://" not in html.replace("http://www.w3.org", "") and "<link" not in html  # nothing fetched


def test_a_metric_unit_decides_how_it_is_shown(tmp_path):
    """The demo's mean number of steps is a number, not a rate: never "167%"."""
    out = tmp_path / "run"
    res = run_cli("run", "--model", "scripted", "--tasks", f"{TASK}:method=decompose", "--output", str(out),
                  "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    (result,) = [results.read(p) for p in out.rglob("results.json")]
    steps, em = result.metrics["steps"], result.metrics["exact_match"]
    assert steps["unit"] == "number" and em["unit"] == "rate" and 1 < steps["value"] < 2
    assert run_cli("report", str(out)).returncode == 0
    html = next(out.rglob("report.html")).read_text()
    assert f"{steps['value']:.4g}" in html and f"{100 * steps['value']:.1f}%" not in html
    assert f"{100 * em['value']:.1f}%" in html


def test_compare_across_task_versions_needs_the_flag(tmp_path):
    """A protocol change alters the task config: compare refuses, unless asked to measure the change."""
    base = _run(tmp_path, "base", "scripted")
    changed = tmp_path / "changed"
    yaml_text = (REPO / "tasks" / "demo" / "arithmetic.yaml").read_text()
    task_file = tmp_path / "arithmetic.yaml"
    task_file.write_text(yaml_text.replace('version: "', 'version: "9.'))
    (tmp_path / "arithmetic.jsonl").write_text((REPO / "tasks" / "demo" / "arithmetic.jsonl").read_text())
    res = run_cli("run", "--model", "scripted", "--tasks", str(task_file), "--output", str(changed),
                  "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    refused = run_cli("compare", base, str(changed))
    assert refused.returncode == 2 and "--across-versions" in refused.stderr
    ok = run_cli("compare", base, str(changed), "--across-versions")
    assert ok.returncode == 0, ok.stderr
    assert "(config changed)" in ok.stdout and "no significant change" in ok.stdout


def test_the_gate_fails_on_a_dropped_task_dropped_rows_and_flipped_samples(tmp_path):
    """A regression gate must not pass when the evaluation silently shrank."""
    base = tmp_path / "base"
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic,demo_choice", "--output", str(base),
                  "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    one_task = _run(tmp_path, "one", "scripted")  # demo_choice dropped
    dropped = run_cli("compare", str(base), one_task, "--fail-on-regression")
    assert dropped.returncode == 6, dropped.stdout + dropped.stderr
    assert "**missing task** `demo_choice`" in dropped.stdout and "--allow-missing-tasks accepts it" in dropped.stdout
    allowed = run_cli("compare", str(base), one_task, "--fail-on-regression", "--allow-missing-tasks")
    assert allowed.returncode == 0 and "allowed by --allow-missing-tasks" in allowed.stdout

    small = tmp_path / "small"
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--limit", "20", "--output", str(small),
                  "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    shrunk = run_cli("compare", one_task, str(small), "--fail-on-regression", "--json", str(tmp_path / "c.json"))
    assert shrunk.returncode == 6 and "**dropped rows** `demo_arithmetic`: 40 of 60 rows are not in the new run" in shrunk.stdout
    report = json.loads((tmp_path / "c.json").read_text())
    em = next(r for r in report["rows"] if r["metric"] == "exact_match")
    base_em = [s["scores"]["exact_match"] for s in _samples(one_task)][:20]
    assert em["n"] == 20 and em["base"] == pytest.approx(np.mean(base_em))  # the shared rows' value, not the 60-row one
    assert [f["kind"] for f in report["findings"]] == ["dropped rows"] and report["findings"][0]["flag"] == "--allow-subset"
    assert run_cli("compare", one_task, str(small), "--fail-on-regression", "--allow-subset").returncode == 0

    worse = _run(tmp_path, "worse", "scripted:generate=echo")
    flips = run_cli("compare", one_task, worse, "--allow-model-change", "--max-flips", "0", "--json", str(tmp_path / "f.json"))
    changed = json.loads((tmp_path / "f.json").read_text())["flips"]
    right = sum(s["scores"]["exact_match"] for s in _samples(one_task))
    assert flips.returncode == 7 and len(changed) == right and all(f["worse"] and f["after"] == 0 for f in changed)
    assert f"{len(changed)} sample(s) changed their primary score ({len(changed)} worse, 0 better)" in flips.stdout
    assert run_cli("compare", one_task, worse, "--allow-model-change", "--max-flips", str(len(changed))).returncode == 0
