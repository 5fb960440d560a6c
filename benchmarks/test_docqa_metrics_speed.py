"""ANLS speed, side by side with the reference computation in one process: pix2struct's
metrics.py computes the Levenshtein distance with `editdistance` per (prediction, gold) pair
(its formula, lower-cased, strict 0.5 threshold, best gold); ours uses rapidfuzz. Same inputs,
same values (asserted), and the ratio printed.
Run: pytest benchmarks/test_docqa_metrics_speed.py --benchmark-only -s
"""
from __future__ import annotations

import random
import time

import pytest

from claimbench.harness.metrics.anls import anls

N = 50_000


@pytest.fixture(scope="module")
def pairs():
    rng = random.Random(0)
    words = "total amount invoice number date march 2021 $1,234.50 the of company ltd".split()
    def text() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
    return [(text(), [text(), text()]) for _ in range(N)]


def reference_anls(prediction: str, golds: list[str]) -> float:
    """pix2struct's anls_metric on lower-cased strings, with editdistance as it uses."""
    import editdistance

    best = 0.0
    for gold in golds:
        p, g = prediction.lower(), gold.lower()
        nl = editdistance.eval(g, p) / max(len(p), len(g))
        best = max(best, 1 - nl if nl < 0.5 else 0.0)
    return best


def test_anls_vs_editdistance(benchmark, pairs):
    pytest.importorskip("editdistance")
    t = time.perf_counter()
    ref = [reference_anls(p, g) for p, g in pairs]
    ref_s = time.perf_counter() - t
    ours = benchmark.pedantic(lambda: [anls(p, g, "pix2struct") for p, g in pairs], rounds=3, iterations=1)
    ours_s = benchmark.stats.stats.min
    assert ours == pytest.approx(ref)
    print(f"\nANLS on {N:,} questions x 2 gold answers: editdistance (pix2struct's) {ref_s:.3f} s, "
          f"ours (rapidfuzz) {ours_s:.3f} s, ratio {ref_s / ours_s:.2f}x")
