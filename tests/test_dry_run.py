"""`claimbench run --dry-run [--write-out N]`: the plan of a run, with nothing sent to the model."""
from __future__ import annotations

import re

from conftest import run_cli

from claimbench.harness import dry_run, results
from claimbench.harness.cache import Cache
from claimbench.harness.runner import DEFAULT_SEED, selected_rows
from claimbench.harness.task_files import load_task


def _plan_line(stdout: str, task: str) -> tuple[int, ...]:
    m = re.search(rf"^{re.escape(task)}: (\d+) rows; first round (\d+) requests, (\d+) repeats, (\d+) cached, (\d+) to send$",
                  stdout, re.M)
    assert m, stdout
    return tuple(map(int, m.groups()))


def test_a_dry_run_sends_nothing_and_counts_what_a_run_then_caches(tmp_path):
    cache, out = str(tmp_path / "responses.sqlite"), str(tmp_path / "out")
    common = ["--model", "scripted", "--tasks", "demo_arithmetic", "--limit", "12", "--cache", cache]
    before = run_cli("run", *common, "--dry-run", "--write-out", "2", "--output", out)
    assert before.returncode == 0, before.stderr
    assert _plan_line(before.stdout, "demo_arithmetic") == (12, 12, 0, 0, 12)
    assert "nothing was sent" in before.stdout and len(Cache(cache)) == 0 and not (tmp_path / "out").exists()
    shown = before.stdout.split("--- demo_arithmetic: request 1 ---\n", 1)[1].split("--- demo_arithmetic: request 2 ---", 1)[0]
    assert run_cli("run", *common, "--output", out, "--no-progress").returncode == 0
    first = results.read_samples(tmp_path / "out" / "demo_arithmetic")[0]["requests"][0]["request"]["prompt"]
    assert shown.rstrip("\n") == first.rstrip("\n")  # the prompt exactly as the model received it
    after = run_cli("run", *common, "--dry-run", "--output", out)
    assert _plan_line(after.stdout, "demo_arithmetic") == (12, 12, 0, 12, 0)


def test_the_plan_sums_the_prompts_and_the_generation_budget_of_the_first_round():
    [p] = dry_run.plan("scripted", ["demo_arithmetic"], limit=5, cache=":memory:", gen_kwargs="max_tokens=7")
    task = load_task("demo_arithmetic:generation.max_tokens=7")
    asked = [task.adjust(r) for row in selected_rows(task, DEFAULT_SEED, 5).rows for r in task.hooks.requests(row, [])]
    assert (p.rows, p.requests, p.unique, p.cached) == (5, 5, 5, 0)
    assert p.prompt_chars == sum(len(r.prompt) for r in asked) and p.max_new_tokens == 5 * 7


def test_write_out_without_dry_run_is_refused(tmp_path):
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--write-out", "3",
                  "--output", str(tmp_path / "out"), "--cache", ":memory:")
    assert res.returncode == 2 and "add --dry-run" in res.stderr
