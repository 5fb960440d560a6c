"""Task groups: one name for a paper's table of task specs, run together and summarised as one table."""
from __future__ import annotations

import math
import re

from conftest import run_cli

from claimbench.harness import registry, results, task_groups
from claimbench.harness.task_files import load_task

GROUP = """group: demo_table
description: the demo tasks, each method a column
tasks: [demo_arithmetic]
grid:
  method: [direct, decompose]
"""


def test_every_registered_group_names_tasks_that_load():
    names = registry.groups.names()
    assert {"self_ask_table1", "pix2struct_table2", "digiface_table", "forward_gradient_table3"} <= set(names)
    specs, groups = task_groups.expand(names)
    assert len(groups) == len(names)
    assert all(len(g.specs()) == len(g.tasks) * math.prod(len(v) for _, v in g.grid) for g in groups)
    table1 = registry.groups.get("self_ask_table1").load()
    assert table1.specs()[:2] == ["2wikimultihopqa:method=direct", "2wikimultihopqa:method=chain_of_thought"]
    for spec in specs:
        assert load_task(spec).label == spec


def test_a_group_without_a_grid_has_one_column_of_primary_metrics():
    lines = task_groups.table(task_groups.Group("g", "one column", ("demo_arithmetic",)), [])
    assert lines[1].split() == ["task", "primary", "metric"] and lines[2].split() == ["demo_arithmetic", "-"]


def test_a_group_runs_its_grid_and_ends_with_one_table(tmp_path):
    (tmp_path / "groups").mkdir()
    (tmp_path / "groups" / "demo_table.yaml").write_text(GROUP)
    res = run_cli("run", "--model", "scripted", "--tasks", "demo_table", "--include-path", str(tmp_path / "groups"),
                  "--limit", "20", "--output", str(tmp_path / "out"), "--cache", ":memory:", "--no-progress")
    assert res.returncode == 0, res.stderr
    table = res.stdout.split("demo_table: the demo tasks, each method a column\n", 1)[1].splitlines()
    assert table[0].split() == ["task", "method=direct", "method=decompose"]
    measured = {r.task["config"]["method"]: r.metric("exact_match") for r in map(results.read, results.find_required(tmp_path / "out"))}
    shown = re.findall(r"exact_match (\S+) \[", table[1])
    assert table[1].startswith("  demo_arithmetic") and shown == [f"{measured['direct']:.3g}", f"{measured['decompose']:.3g}"]
    assert measured["direct"] != measured["decompose"]  # the columns are the two methods' own runs
