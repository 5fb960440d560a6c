"""Protocol sensitivity: declared axes, the settings a sweep evaluates, and `claimbench sensitivity`
on a scripted model and on a committed run's recorded answers."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest
from conftest import COMMITTED_RESULTS, COMMITTED_SWEEPS, REPO, require_data, run_cli

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
    assert protocol.current(cc.config, "num_fewshot", cc.protocol["num_fewshot"]) == "2"  # unset: the paper's two
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
    unsure = Across([({}, v("contradicted")), ({"exemplar_seed": "1"}, v("inconclusive")), ({"exemplar_seed": "2"}, v("contradicted"))])
    assert unsure.summary() == "holds under 0 of 3 settings; contradicted under 2; inconclusive under 1"  # the sweep cannot tell


def test_published_sweeps_hold_what_their_runs_measured():
    """Each committed sensitivity.json is its runs' numbers: every setting's metrics are those of its
    run's results.json, and the summary recomputes from those runs."""
    from claimbench.harness.sensitivity import Sweep
    from claimbench.leaderboards.builder import sensitivity_page

    published = sensitivity_page.load([COMMITTED_SWEEPS])
    assert published
    for p in published:
        by_spec = {e.task_spec: e.result for e in p.runs}
        runs = [by_spec[s["spec"]] for s in p.sweep["settings"]]
        for s, r in zip(p.sweep["settings"], runs):
            assert {k: m["value"] for k, m in s["metrics"].items()} == {k: m["value"] for k, m in r.metrics.items()}
            assert s["config_hash"] == r.task["config_hash"] and all(
                protocol.current(load_task(r.task["spec"]).config, k) == v for k, v in s["moves"].items())
        again = Sweep(p.sweep["model"], p.sweep["task"], {k: tuple(v) for k, v in p.sweep["axes"].items()}, p.sweep["defaults"],
                      p.sweep["grid"], [s["moves"] for s in p.sweep["settings"]], runs)
        assert json.loads(json.dumps(again.summary())) == p.sweep["summary"], p.title


def test_committed_claims_are_tested_in_each_published_protocol_setting():
    from claimbench.leaderboards.builder import sensitivity_page
    from claimbench.leaderboards.claims import across, catalog

    res = run_cli("claims", str(COMMITTED_RESULTS), "--sensitivity", str(COMMITTED_SWEEPS))
    assert res.returncode == 0, res.stderr
    listed = res.stdout.split("Across protocol settings (sensitivity sweeps):\n", 1)[1]
    line = next(ln for ln in listed.splitlines() if "/t1.bamboogle.cot-over-direct:" in ln)
    assert re.search(r"under (all 5|\d of 5) settings", line), line
    runs = [e for p in sensitivity_page.load([COMMITTED_SWEEPS]) for e in p.runs]
    relation = next(r for r in catalog.relations() if r.id == "t1.bamboogle.cot-over-direct")
    found = across.evaluate(relation, runs)
    assert found is not None and len(found.settings) == 5
    for setting, verdict in found.settings:  # each setting's verdict agrees with its own runs' point estimates
        em = {e.method: e.result.metric("exact_match") for e in runs
              if e.task_name == "bamboogle" and across.moves(e) == tuple(sorted(setting.items()))}
        if verdict.status == "holds":
            assert em["chain_of_thought"] > em["direct"], setting
        if verdict.status == "contradicted":
            assert em["chain_of_thought"] < em["direct"], setting


def test_a_sweep_is_shown_on_the_reports_of_runs_of_its_own_weights_only():
    """A model name is not its weights: a sweep of another training under the same name stays off
    the committed run's report."""
    from claimbench.leaderboards import entries
    from claimbench.leaderboards.builder import sensitivity_page

    published = sensitivity_page.load([COMMITTED_SWEEPS])
    moved = [(p, e) for p in published for e in entries.load([COMMITTED_RESULTS]) if p.tests(e)]
    assert moved
    for p, e in moved:
        other = dataclasses.replace(e, result=dataclasses.replace(e.result, model={**e.result.model, "fingerprint": "0" * 64}))
        assert not p.tests(other), p.title
