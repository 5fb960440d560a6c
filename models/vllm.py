"""`vllm`: GPU serving through vLLM's offline `LLM` engine (extra `vllm`; needs CUDA).

Supported: vLLM 0.6.2 and later (the extra's range). Every request goes to `LLM.generate` as
token ids, tokenized here by the rules the hf adapter follows (models/lm/text.py), so the two
backends see the same tokens:
- Generate: the prompt with the tokenizer's special tokens; a chat prompt is the model's chat
  template text with none added (the template writes BOS). One `SamplingParams` per request:
  temperature 0 is greedy, sampled requests carry their seed. A prompt whose tokens plus
  max_tokens exceed the model's context is refused, naming the rows that asked it (vLLM would
  cut the generation short without saying so).
- LogLikelihood: the prompt log-probabilities of context + continuation
  (`prompt_logprobs=1`, `detokenize=False`, as lm-eval does): the sum over the continuation's
  tokens, greedy when each has rank 1. lm-eval's split (the context's trailing whitespace joins
  the continuation), and a sequence longer than the model's context is cut from the left as
  lm-eval does (vLLM would abort the whole batch).
- Prefix caching is off unless `enable_prefix_caching=true` (in the fingerprint): with it, prompt
  log-probabilities and near-tie greedy outputs can depend on which requests ran before.
- GGUF files: vLLM up to 0.23 loads them itself; from 0.24 only with the `vllm-gguf-plugin`
  package installed (extra `vllm-gguf`). Otherwise pass a safetensors folder or a hub id.

Building the adapter checks that vLLM imports and that a GGUF file can be loaded; load() starts
the engine, which loads the weights onto the GPU. This adapter has not run here (no GPU).
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from claimbench.harness.errors import ConfigError, RequestRejected
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import Generate, LogLikelihood, Request

from .lm.text import CHAT_ENCODING, LOGLIKELIHOOD_SPLIT, apply_chat, bos_or_eos, loglikelihood_pair, truncate_at_stop

GGUF_PLUGIN_FROM = (0, 24)  # the first vLLM release without GGUF support of its own


def check_gguf_support(vllm_version: str, has_plugin: bool, path: str) -> None:
    """Refuse a GGUF file that this vLLM cannot load, naming the fix."""
    from packaging.version import Version

    if Version(vllm_version).release[:2] >= GGUF_PLUGIN_FROM and not has_plugin:
        raise ConfigError(f"vllm {vllm_version} loads GGUF files ({path!r}) only through the GGUF plugin: "
                          "pip install 'claimbench[vllm-gguf]' (vllm-gguf-plugin), or pass a safetensors folder or hub id.")


def fit_from_left(ctx: list[int], cont: list[int], limit: int, request: LogLikelihood) -> tuple[list[int], int]:
    """The prompt for scoring `cont` after `ctx` within `limit` tokens, cut from the left as lm-eval
    does, and the position where the continuation starts."""
    whole = (ctx + cont)[-limit:]
    start = len(whole) - len(cont)
    if start < 1:
        raise RequestRejected(f"vllm: a continuation of {len(cont)} tokens cannot be scored within the model's context "
                              f"of {limit} tokens; shorten it or raise max_model_len.", request)
    return whole, start


class VLLMAdapter(ModelAdapter):
    kinds = frozenset({"generate", "loglikelihood"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(doc="model folder (safetensors) or hub id; a .gguf file needs vLLM <= 0.23 or vllm-gguf-plugin")
        tokenizer: str | None = option(None)
        dtype: Literal["auto", "float32", "bfloat16", "float16"] = option("auto")
        max_model_len: int | None = option(None)
        enable_prefix_caching: bool = option(False, doc="vLLM's automatic prefix caching: faster, order-dependent numbers")
        gpu_memory_utilization: float = option(0.85, fingerprint=False)
        tensor_parallel_size: int = option(1, fingerprint=False)

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        try:
            import vllm
            from vllm import LLM, SamplingParams
        except ImportError:
            raise ConfigError("the vllm backend needs vLLM on a CUDA machine: pip install 'claimbench[vllm]'.") from None
        if options.path.endswith(".gguf"):
            if not Path(options.path).is_file():
                raise ConfigError(f"vllm: GGUF file {options.path!r} does not exist.")
            check_gguf_support(vllm.__version__, importlib.util.find_spec("vllm_gguf_plugin") is not None, options.path)
        self._engine, self._params = LLM, SamplingParams
        self.llm = self.tok = None  # the engine and its tokenizer, built by load()
        self.max_len = 0

    def load(self) -> None:
        o = self.options
        kwargs: dict[str, Any] = dict(model=o.path, dtype=o.dtype, seed=0, tensor_parallel_size=o.tensor_parallel_size,
                                      gpu_memory_utilization=o.gpu_memory_utilization,
                                      enable_prefix_caching=o.enable_prefix_caching)
        if o.tokenizer:
            kwargs["tokenizer"] = o.tokenizer
        if o.max_model_len:
            kwargs["max_model_len"] = o.max_model_len
        self.llm = self._engine(**kwargs)
        self.tok = self.llm.get_tokenizer()
        self.max_len = self.llm.llm_engine.model_config.max_model_len

    def identity(self) -> dict[str, Any]:
        import vllm

        from claimbench.harness.hashing import sha256_file_cached
        ident: dict[str, Any] = {"vllm": vllm.__version__, "loglikelihood_split": LOGLIKELIHOOD_SPLIT,
                                 "chat_encoding": CHAT_ENCODING}
        if self.options.path.endswith(".gguf"):
            ident["gguf_sha256"] = sha256_file_cached(self.options.path)
        return ident

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        if kind == "loglikelihood":
            return self._loglikelihood(requests)  # type: ignore[arg-type]
        return self._generate(requests)  # type: ignore[arg-type]

    def _encode(self, text: str, special: bool = True) -> list[int]:
        return self.tok(text, add_special_tokens=special)["input_ids"]

    def _prompt_ids(self, r: Generate) -> list[int]:
        ids = self._encode(apply_chat(self.tok, r.messages()), special=False) if r.chat else self._encode(r.prompt)
        if len(ids) + r.max_tokens > self.max_len:
            raise RequestRejected(f"vllm: prompt of {len(ids)} tokens plus {r.max_tokens} new tokens exceeds the model's "
                                  f"context of {self.max_len}; shorten the prompt (fewer shots) or lower max_tokens.", r)
        return ids

    def _sampling(self, r: Generate):
        if r.temperature > 0:
            return self._params(temperature=r.temperature, top_p=r.top_p, max_tokens=r.max_tokens, stop=list(r.stop) or None,
                                seed=r.seed)
        return self._params(temperature=0.0, max_tokens=r.max_tokens, stop=list(r.stop) or None)

    def _generate(self, requests: Sequence[Generate]) -> list[str]:
        prompts = [{"prompt_token_ids": self._prompt_ids(r)} for r in requests]
        res = self.llm.generate(prompts, [self._sampling(r) for r in requests], use_tqdm=False)
        return [truncate_at_stop(o.outputs[0].text, r.stop) for r, o in zip(requests, res)]

    def _loglikelihood(self, requests: Sequence[LogLikelihood]) -> list[dict]:
        bos = bos_or_eos(self.tok)
        spans = [fit_from_left(*loglikelihood_pair(self._encode, bos, r.context, r.continuation), self.max_len, r)
                 for r in requests]
        params = self._params(temperature=0.0, max_tokens=1, prompt_logprobs=1, detokenize=False)
        res = self.llm.generate([{"prompt_token_ids": w} for w, _ in spans], params, use_tqdm=False)
        out = []
        for (whole, start), o in zip(spans, res):
            total, greedy = 0.0, True
            for pos in range(start, len(whole)):
                entry = o.prompt_logprobs[pos][whole[pos]]
                total += entry.logprob
                greedy = greedy and entry.rank == 1
            out.append({"logprob": float(total), "is_greedy": greedy})
        return out
