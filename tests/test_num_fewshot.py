"""--num-fewshot: exemplars per prompt for the tasks whose prompts draw them; the seeded,
leak-free draw is kept, and the default is the paper's (committed runs replay unchanged)."""
from __future__ import annotations

import gzip
import json

import pytest
from conftest import COMMITTED_RESULTS, require_data, run_cli

from claimbench.harness.errors import ConfigError
from claimbench.harness.runner import DEFAULT_SEED, selected_rows
from claimbench.harness.task_files import load_task


def _first_prompt(spec: str, seed: int = DEFAULT_SEED) -> tuple[dict, list]:
    task = load_task(spec)
    row = selected_rows(task, seed, 1).rows[0]
    return row, task.hooks.requests(row, [])


@pytest.mark.parametrize("n", [0, 1, 4])
def test_multihop_prompts_show_the_first_n_exemplars(n):
    require_data("bamboogle")
    row, [ask] = _first_prompt(f"bamboogle:method=self_ask,num_fewshot={n}")
    assert ask.prompt.count("Question: ") == n + 1 and ask.prompt.endswith(f"Question: {row['Question']}\nAre follow up questions needed here:")


def test_celebrities_draw_n_people_per_category_and_keep_them_out_of_the_rows():
    require_data("compositional_celebrities")
    task = load_task("compositional_celebrities:num_fewshot=3")
    rows = selected_rows(task, DEFAULT_SEED, None).rows
    assert all(len(drawn) == 3 for drawn in task.hooks.shots.values())
    shown = {r["person"] for drawn in task.hooks.shots.values() for r in drawn}
    assert not shown & {r["person"] for r in rows}  # leak-free: an exemplar's person is never asked about
    q1 = task.hooks.requests(rows[0], [])[0]
    assert q1.prompt.count("Question: ") == 4


def test_the_default_is_the_committed_runs_prompt():
    require_data("compositional_celebrities")
    with gzip.open(COMMITTED_RESULTS / "compositional_celebrities" / "smollm2-135m" / "samples.jsonl.gz", "rt") as f:
        logged = json.loads(f.readline())
    task = load_task("compositional_celebrities")
    rows = {r["id"]: r for r in selected_rows(task, DEFAULT_SEED, None).rows}
    asked = task.hooks.requests(rows[logged["id"]], [])
    assert [r.prompt for r in asked] == [x["request"]["prompt"] for x in logged["requests"]]


def test_a_task_without_exemplars_refuses_num_fewshot_by_name(tmp_path):
    with pytest.raises(ConfigError, match="give 0 to 4"):
        load_task("bamboogle:num_fewshot=5")
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--num-fewshot", "2",
                  "--output", str(tmp_path / "out"), "--cache", ":memory:")
    assert res.returncode == 2 and "unknown option 'num_fewshot'" in res.stderr
