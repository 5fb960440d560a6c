"""`claimbench explain A B`: the protocol differences of two runs and each option's Shapley share
of a metric's change, evaluated from the runs' recorded answers (a model only for what neither asked)."""
from __future__ import annotations

import pytest
from conftest import COMMITTED_RESULTS, run_cli

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
