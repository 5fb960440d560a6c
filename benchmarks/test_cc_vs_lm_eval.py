"""Compositional Celebrities, direct prompting, 300 questions: lm-eval's HFLM vs our runner on the same prompts.

Both see the same 900 generation requests (Q1, Q2 and the two-hop question of 300 seeded
questions, the task's own 2-shot prompts) with the same model (SmolLM2-135M GGUF,
fp32) and greedy decoding. lm-eval sends all 900; our runner deduplicates repeated
sub-questions and reuses shared few-shot prefixes. Same batch size, one process.
Run: CLAIMBENCH_DATA=../shared/data pytest benchmarks/test_cc_vs_lm_eval.py --benchmark-only -s
"""
from __future__ import annotations

import json
import os
import time

import pytest

from claimbench.harness import evaluate
from claimbench.harness.task_files import load_task

SPEC, BATCH = "compositional_celebrities:sample=300", 16


def test_cc_direct_300_side_by_side(benchmark, tmp_path):
    if not os.environ.get("CLAIMBENCH_DATA"):
        pytest.skip("needs $CLAIMBENCH_DATA with compositional_celebrities")
    pytest.importorskip("lm_eval")
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    task = load_task(SPEC)
    pool = task.hooks.prepare(task.load_data().rows)
    rows = [pool[i] for i in task.select(len(pool), seed=1234)]
    reqs = [r for row in rows for r in task.hooks.requests(row, [])]

    t0 = time.perf_counter()
    [ours] = evaluate("smollm2-135m", [SPEC], batch_size=BATCH, cache=":memory:", output=tmp_path)
    t_ours = time.perf_counter() - t0
    from claimbench.harness.model import load_model
    gguf = load_model("smollm2-135m").options.path
    lm = HFLM(pretrained=os.path.dirname(gguf), gguf_file=os.path.basename(gguf), dtype="float32", batch_size=BATCH,
              device="cpu")
    insts = [Instance("generate_until", {}, (r.prompt, {"until": list(r.stop), "max_gen_toks": r.max_tokens,
                                                          "do_sample": False}), i) for i, r in enumerate(reqs)]
    t0 = time.perf_counter()
    ref = benchmark.pedantic(lambda: lm.generate_until(insts), rounds=1, iterations=1)
    t_ref = time.perf_counter() - t0

    answers = {}
    for line in (tmp_path / "compositional_celebrities_sample=300" / "samples.jsonl").open():
        for item in json.loads(line)["requests"]:
            answers[item["request"]["prompt"]] = item["response"]
    same = sum(answers[r.prompt] == text for r, text in zip(reqs, ref))
    figures = {"questions": len(rows), "requests_planned": len(reqs), "requests_sent_ours": ours.counts["requests"]["new"],
               "requests_sent_lm_eval": len(reqs), "lm_eval_hflm_s": round(t_ref, 1), "ours_s": round(t_ours, 1),
               "speedup": round(t_ref / t_ours, 2), "identical_outputs": same,
               "gap": ours.metrics["compositionality_gap"]["value"]}
    benchmark.extra_info.update(figures)
    print("\n" + json.dumps(figures, indent=1))
    assert same == len(reqs)
