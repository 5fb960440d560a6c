"""Protocol sensitivity: declared axes, the settings a sweep evaluates, and `claimbench sensitivity`
on a scripted model and on a committed run's recorded answers."""
from __future__ import annotations

import json

import pytest
from conftest import COMMITTED_RESULTS, REPO, require_data, run_cli

from claimbench.harness import evaluate, protocol
from claimbench.harness.errors import ConfigError
from claimbench.harness.task_files import load_task

DEMO = REPO / "tasks" / "demo"
TASK = """include: {base}
task: demo_protocol
dataset: {{path: {data}}}
protocol:
  method: {{values: [direct, decompose], about: one question or two steps}}
  instruction: {{values: ["Answer with a number.", "Reply with digits only."], about: the instruction line}}
"""


def test_settings_move_one_axis_at_a_time_or_span_the_grid():
    varied = {"a": ("0", "1", "2"), "b": ("x", "y")}
    defaults = {"a": "0", "b": None}
    assert protocol.settings(varied, defaults, grid=False) == [{}, {"a": "1"}, {"a": "2"}, {"b": "x"}, {"b": "y"}]
    grid = protocol.settings(varied, defaults, grid=True)
    assert grid[0] == {} and len(grid) == 1 + 3 * 2 and {"b": "x"} in grid and {"a": "2", "b": "y"} in grid


def test_declared_axes_are_checked_and_change_no_config_hash():
    cc = load_task("compositional_celebrities")
    recorded = json.loads((COMMITTED_RESULTS / "compositional_celebrities" / "smollm2-135m" / "results.json").read_text())
    assert cc.config_hash() == recorded["task"]["config_hash"] and "protocol" not in cc.config_json()
    assert {"exemplar_seed", "num_fewshot", "match", "generation.chat"} <= set(cc.protocol)
    assert protocol.current(cc.config, "exemplar_seed") == "0" and protocol.current(cc.config, "generation.chat") == "false"
    assert protocol.current(load_task("bamboogle").config, "exemplar_seed") is None  # unset: the prompts' own order
    with pytest.raises(ConfigError, match="declares no protocol axis 'seed'.*exemplar_seed"):
        protocol.chosen(cc.protocol, ["seed=1,2"])
    with pytest.raises(ConfigError, match="at least two values"):
        protocol.chosen(cc.protocol, ["match=cover_em"])
    with pytest.raises(ConfigError, match="at least two settings"):
        protocol.parse({"match": {"values": ["exact_match"]}}, "task file 'x.yaml'")


def test_a_grid_sweep_reports_values_spread_and_the_axis_that_moves_most(tmp_path):
    (tmp_path / "demo_protocol.yaml").write_text(TASK.format(base=DEMO / "arithmetic.yaml", data=DEMO / "arithmetic.jsonl"))
    out = tmp_path / "sens"
    res = run_cli("sensitivity", "--model", "scripted", "--task", "demo_protocol", "--include-path", str(tmp_path), "--grid",
                  "--cache", ":memory:", "--out", str(out), "--no-progress")
    assert res.returncode == 0, res.stderr
    sweep = json.loads((out / "sensitivity.json").read_text())
    assert [s["moves"] for s in sweep["settings"]][0] == {} and len(sweep["settings"]) == 4
    em = sweep["summary"]["exact_match"]
    task = load_task(str(tmp_path / "demo_protocol.yaml"))
    direct, decompose = (evaluate("scripted", [task], cache=":memory:")[0].metric("exact_match"),
                         evaluate("scripted", ["demo_arithmetic:method=decompose"], cache=":memory:")[0].metric("exact_match"))
    assert em["values"][0] == direct and decompose in em["values"]
    assert em["range"] == pytest.approx(decompose - direct) and em["by_axis"]["method"] == pytest.approx(decompose - direct)
    assert em["most"] == "method" and em["by_axis"]["instruction"] < em["by_axis"]["method"]
    assert "most: method" in res.stdout and "row CI" in res.stdout


def test_a_sweep_from_a_committed_run_replays_its_answers_without_the_model(tmp_path):
    require_data("compositional_celebrities")
    run = COMMITTED_RESULTS / "compositional_celebrities" / "smollm2-135m"
    recorded = json.loads((run / "results.json").read_text())["metrics"]
    res = run_cli("sensitivity", str(run), "--axis", "match", "--out", str(tmp_path / "s"), "--no-progress")
    assert res.returncode == 0, res.stderr
    sweep = json.loads((tmp_path / "s" / "sensitivity.json").read_text())
    assert [s["spec"] for s in sweep["settings"]] == ["compositional_celebrities", "compositional_celebrities:match=cover_em"]
    for name, m in sweep["summary"].items():  # the task as it is: the committed numbers, from the recorded answers
        assert m["values"][0] == recorded[name]["value"]
    q2 = sweep["summary"]["q2_correct"]
    assert q2["range"] == pytest.approx(abs(q2["values"][1] - q2["values"][0])) and q2["values"][1] >= q2["values"][0]
    res = run_cli("sensitivity", str(run), "--axis", "exemplar_seed=0,1", "--out", str(tmp_path / "t"), "--no-progress")
    assert res.returncode == 2 and "give --model smollm2-135m" in res.stderr and "Traceback" not in res.stderr


def test_a_verdict_across_settings_says_how_many_hold_and_which_axis_it_depends_on():
    from claimbench.leaderboards.claims.across import Across
    from claimbench.leaderboards.claims.verdicts import Verdict

    def v(status):
        return Verdict(None, [], status, "")
    held = Across([({}, v("holds")), ({"exemplar_seed": "1"}, v("holds"))])
    assert held.summary() == "holds under all 2 settings" and held.depends_on() == []
    mixed = Across([({}, v("holds")), ({"exemplar_seed": "1"}, v("contradicted")), ({"exemplar_seed": "2"}, v("holds")),
                    ({"match": "cover_em"}, v("holds"))])
    assert mixed.summary() == "holds under 3 of 4 settings; contradicted under 1; depends on exemplar_seed"
