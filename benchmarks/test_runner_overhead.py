"""Runner overhead: requests/s through plan + dedup + cache + score for 100k requests.

The scripted adapter answers instantly, so what is timed is the engine itself.
Run: pytest benchmarks/test_runner_overhead.py --benchmark-only
Goal (issue [A]): >= 20,000 requests/s with a warm cache.
"""
from __future__ import annotations

import json
import random

import pytest

from claimbench.harness import evaluate

N = 100_000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("bench") / "rows.jsonl"
    with path.open("w") as f:
        for i in range(N):  # ~20% of the questions repeat, as sub-questions do in real tasks
            a, b = rng.randint(0, 300), rng.randint(0, 300)
            f.write(json.dumps({"id": f"r{i}", "a": a, "op1": "+", "b": b, "op2": None, "c": None,
                                "answer": str(a + b)}) + "\n")
    return path


def _run(dataset, cache):
    [r] = evaluate("scripted", [f"demo_arithmetic:path={dataset},metrics=exact_match"], cache=cache, batch_size=64)
    return r


def _report(benchmark, r):
    secs = benchmark.stats.stats.min
    benchmark.extra_info.update(requests=r.counts["requests"], requests_per_s=round(N / secs),
                                plan_s=r.timings["plan_s"], model_s=r.timings["model_s"], score_s=r.timings["score_s"])
    print(f"\n{N} requests in {secs:.2f}s = {N / secs:,.0f} req/s; {r.counts['requests']}; "
          f"plan {r.timings['plan_s']}s, model {r.timings['model_s']}s, score+aggregate {r.timings['score_s']}s")


def test_cold_cache(benchmark, dataset, tmp_path):
    caches = iter(tmp_path / f"cold{i}.sqlite" for i in range(100))
    r = benchmark.pedantic(lambda: _run(dataset, next(caches)), rounds=3, iterations=1)
    assert r.counts["requests"]["cached"] == 0
    _report(benchmark, r)


def test_warm_cache(benchmark, dataset, tmp_path):
    cache = tmp_path / "warm.sqlite"
    _run(dataset, cache)
    r = benchmark.pedantic(lambda: _run(dataset, cache), rounds=3, iterations=1)
    assert r.counts["requests"]["new"] == 0
    _report(benchmark, r)
