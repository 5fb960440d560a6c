"""Metrics declare their state (`add_state`, `cat` or `sum`), so a run scored in shards merges
into exactly the metric that saw every sample, and `prepare` recomputes a metric on any rows."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import make_metric
from claimbench.harness.metrics.base import REDUCTIONS, logged_mean


def _sample(rng: np.random.Generator, i: int) -> dict:
    """One sample carrying what each metric below reads: QA answers, 0/1 sub-question flags,
    a pair distance, a classification, a per-layer lens and a grouping field."""
    gold = str(int(rng.integers(0, 4)))
    ranks = [int(r) for r in np.sort(rng.integers(1, 50, 4))[::-1]]
    return {"prediction": [gold if rng.random() < 0.6 else str(int(rng.integers(0, 4))), "9"],
            "references": [gold],
            "fields": {"q1_correct": bool(rng.random() < 0.7), "q2_correct": bool(rng.random() < 0.7),
                       "hop_correct": bool(rng.random() < 0.4), "category": ["a", "b", "c"][i % 3],
                       "steps": None if i % 5 == 0 else float(rng.integers(0, 9)),
                       "distance": float(rng.random()), "same": bool(i % 2), "confidence": float(rng.random()),
                       "memorized": float(i % 2), "lens": {"ranks": ranks, "probs": [1 / r for r in ranks]}}}


SPECS = ["top_k_error:k=2,by=category", "mean:field=steps,unit=number,by=category", "compositionality_gap:by=category",
         "verification_accuracy", "roc_auc", "ece:bins=5", "class_errors", "lens_curves"]


def _result(spec: str, samples: list[dict]) -> dict:
    metric = make_metric(spec)
    for s in samples:
        metric.update(s)
    return json.loads(json.dumps(metric.compute().to_json()))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(12, 60), cut=st.floats(0.1, 0.9), spec=st.sampled_from(SPECS))
def test_shards_merged_equal_one_metric_fed_every_sample(seed, n, cut, spec):
    rng = np.random.default_rng(seed)
    samples = [_sample(rng, i) for i in range(n)]
    k = int(n * cut)
    first, second = make_metric(spec), make_metric(spec)
    for s in samples[:k]:
        first.update(s)
    for s in samples[k:]:
        second.update(s)
    merged = json.loads(json.dumps(first.merge(second).compute().to_json()))
    assert merged == _result(spec, samples)


def test_the_sampled_metrics_declare_their_state_with_known_reductions():
    for spec in SPECS:
        metric = make_metric(spec)
        assert metric._reductions and set(metric._reductions.values()) <= set(REDUCTIONS), spec


def test_only_the_same_metric_with_the_same_options_merges():
    with pytest.raises(ConfigError, match="same metric and options"):
        make_metric("top_k_error:k=1").merge(make_metric("top_k_error:k=2"))
    with pytest.raises(ConfigError, match="same metric and options"):
        make_metric("exact_match").merge(make_metric("token_f1"))


def test_prepare_recomputes_a_metric_on_any_rows():
    """On all rows `prepare` gives the metric's own value; on a subset, the value a metric fed only
    those rows computes; a gap with no row having both sub-questions right is NaN, not an error."""
    rng = np.random.default_rng(7)
    samples = [_sample(rng, i) for i in range(40)]
    for spec in ("compositionality_gap", "top_k_error:k=2"):
        metric = make_metric(spec)
        for s in samples:
            s.setdefault("scores", {})[metric.name] = metric.update(s)
        fn = metric.prepare(samples)
        assert fn(np.arange(40)) == pytest.approx(metric.compute().value, abs=1e-12)
        rows = np.array([3, 3, 17, 21, 30, 8])
        assert fn(rows) == pytest.approx(_result(spec, [samples[i] for i in rows])["value"], abs=1e-12)
    none_right = [{**s, "fields": {**s["fields"], "q1_correct": False}} for s in samples]
    assert np.isnan(make_metric("compositionality_gap").prepare(none_right)(np.arange(40)))
    assert make_metric("verification_accuracy").prepare(samples) is None
    assert logged_mean([{"scores": {}}], "exact_match") is None
