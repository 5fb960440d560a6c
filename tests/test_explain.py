"""`claimbench explain A B`: the protocol differences of two runs and each option's Shapley share
of a metric's change, evaluated from the runs' recorded answers (a model only for what neither asked)."""
from __future__ import annotations

import pytest
from conftest import COMMITTED_RESULTS, REPO, run_cli

from claimbench.harness import evaluate, results
from claimbench.harness.explain import explain

INSTRUCTION = "Reply with digits only."


def _run(tmp_path, name: str, spec: str):
    out = tmp_path / name
    evaluate("scripted", [spec], output=out, cache=":memory:")
    return results.find_required(out)[0].parent


def test_shares_add_up_to_the_change_and_name_the_option_that_made_it(tmp_path):
    a = _run(tmp_path, "a", "demo_arithmetic")
    b = _run(tmp_path, "b", f'demo_arithmetic:method=decompose,instruction="{INSTRUCTION}"')
    with pytest.raises(Exception, match="give --model scripted"):  # the mixed configurations were never asked
        explain(a, b)
    found = explain(a, b, model="scripted", metrics=["exact_match"])
    assert found.options == {"method": ("direct", "decompose"), "instruction": ("Answer with a number.", INSTRUCTION)}
    assert not found.other and len(found.evaluated) == 4
    ra, rb = results.read(a), results.read(b)
    change = rb.metric("exact_match") - ra.metric("exact_match")
    shares = found.shares["exact_match"]
    assert sum(shares.values()) == pytest.approx(change) and abs(shares["method"]) > abs(shares["instruction"])
    only_method = evaluate("scripted", ["demo_arithmetic:method=decompose"], cache=":memory:")[0].metric("exact_match")
    only_instruction = evaluate("scripted", [f'demo_arithmetic:instruction="{INSTRUCTION}"'], cache=":memory:")[0].metric("exact_match")
    expected = 0.5 * ((only_method - ra.metric("exact_match")) + (rb.metric("exact_match") - only_instruction))
    assert shares["method"] == pytest.approx(expected)  # the mean of its two orders' steps


def test_runs_of_two_models_get_their_differences_listed_and_no_attribution(tmp_path):
    a = COMMITTED_RESULTS / "bamboogle" / "smollm2-135m"
    b = COMMITTED_RESULTS / "bamboogle_method=self_ask-d37c4e8f" / "gemma3-270m_backend=llamacpp-98d44a37"
    res = run_cli("explain", str(a), str(b), "--metric", "exact_match", "--metric", "cover_em")
    assert res.returncode == 0, res.stderr
    assert "method: direct -> self_ask" in res.stdout and "model: smollm2-135m -> gemma3-270m:backend=llamacpp" in res.stdout
    assert "no attribution: the runs differ in model, model fingerprint" in res.stdout and "cover_em: A " in res.stdout
    bad = run_cli("explain", str(a), str(b), "--metric", "nosuch")
    assert bad.returncode == 2 and "not a metric of both runs" in bad.stderr and "Traceback" not in bad.stderr


def _claims_file(tmp_path, protocol: str):
    path = tmp_path / "demo_claims.yaml"
    path.write_text(f"""paper: {{id: demo, title: "A demo paper", authors: "Nobody", year: 2024, version: "v1"}}
claims:
  - {{id: digits, task: demo_arithmetic, model: "a larger model", metric: exact_match, value: 90.0,
     unit: "%", tolerance: 1.0, protocol: {protocol},
     source: {{where: "Table 1", quote: "Table 1, row Digits: 90.0"}}}}
""")
    return path


def test_a_run_against_a_claims_protocol_switches_the_options_it_states(tmp_path):
    run = _run(tmp_path, "run", "demo_arithmetic")
    claims = _claims_file(tmp_path, f'{{method: decompose, instruction: "{INSTRUCTION}", exemplars: "the paper\'s own"}}')
    without_model = run_cli("explain", str(run), "demo/digits", "--claims", str(claims))
    assert without_model.returncode == 2 and "give --model scripted" in without_model.stderr
    res = run_cli("explain", str(run), "digits", "--claims", str(claims), "--model", "scripted")
    assert res.returncode == 0, res.stderr
    assert f"instruction: Answer with a number. (run) -> {INSTRUCTION} (paper)" in res.stdout
    assert "method: direct (run) -> decompose (paper)" in res.stdout
    assert "exemplars: the paper's own (paper)" in res.stdout and "model: scripted (run) vs a larger model (paper)" in res.stdout

    from claimbench.leaderboards.claims import against_run, catalog
    claim = against_run.find(catalog.load([claims]), "demo/digits")
    found = against_run.explain(run, claim, model="scripted")
    measured = 100 * results.read(run).metric("exact_match")
    at_paper = 100 * evaluate("scripted", [f'demo_arithmetic:method=decompose,instruction="{INSTRUCTION}"'],
                              cache=":memory:")[0].metric("exact_match")
    assert found.measured == pytest.approx(measured) and found.at_paper == pytest.approx(at_paper) and len(found.evaluated) == 4
    assert found.at_paper != found.measured and sum(found.shares.values()) == pytest.approx(at_paper - measured)
    assert abs(found.shares["method"]) > abs(found.shares["instruction"])
    assert f"left to what no task option reproduces: {90.0 - at_paper:+.4g} points" in "\n".join(found.lines())


def test_a_committed_run_against_a_published_number_lists_what_matches_and_what_no_option_reproduces():
    run = next((COMMITTED_RESULTS / "compositional_celebrities_sample=1200-0f5b1116").iterdir())
    res = run_cli("explain", str(run), "self_ask/cc.gap-roughly-40")
    assert res.returncode == 0, res.stderr
    gap = 100 * results.read(run).metric("compositionality_gap")
    assert f"compositionality_gap {gap:.4g}%" in res.stdout and "claim: self_ask/cc.gap-roughly-40: 40%" in res.stdout
    assert "as the paper: generation.chat false; num_fewshot 2" in res.stdout
    assert "task options that differ: none the claim states" in res.stdout and "exemplars: the paper's own" in res.stdout
    assert f"left to what no task option reproduces: {40 - gap:+.4g} points" in res.stdout
    other_task = run_cli("explain", str(run), "self_ask/t1.bamboogle.direct")
    assert other_task.returncode == 2 and "explain a run of the claim's task and method" in other_task.stderr
    unknown = run_cli("explain", str(run), "self_ask/no-such-claim")
    assert unknown.returncode == 2 and "neither a run folder nor a published-number claim's id" in unknown.stderr
    no_numbers = run_cli("explain", str(run), "no-such-claim", "--claims", str(REPO / "leaderboards" / "claims" / "ddim.yaml"))
    assert no_numbers.returncode == 2 and "the claims files given hold none" in no_numbers.stderr
    assert "Traceback" not in other_task.stderr + unknown.stderr + no_numbers.stderr
