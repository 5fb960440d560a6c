"""`vllm`: GPU serving through vLLM's offline `LLM` engine (extra `vllm`; needs CUDA).

Generate -> `LLM.generate` (or `LLM.chat`) with one `SamplingParams` per request
(temperature 0 is greedy; sampled requests carry their seed). LogLikelihood -> the
prompt logprobs of context + continuation (`SamplingParams(prompt_logprobs=1)`): the
sum over the continuation's tokens, greedy when each has rank 1. Tokenisation follows
lm-eval's convention, as in the hf adapter. Building the adapter only checks that vLLM imports
and that a GGUF file exists; load() starts the engine, which loads the weights onto the GPU.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.errors import ConfigError
from harness.model import ModelAdapter, option
from harness.requests import Generate, LogLikelihood, Request

from .text import move_trailing_spaces, truncate_at_stop


class VLLMAdapter(ModelAdapter):
    kinds = frozenset({"generate", "loglikelihood"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(doc="model folder, hub id, or GGUF file")
        tokenizer: str | None = option(None)
        dtype: Literal["auto", "float32", "bfloat16", "float16"] = option("auto")
        max_model_len: int | None = option(None)
        gpu_memory_utilization: float = option(0.85, fingerprint=False)
        tensor_parallel_size: int = option(1, fingerprint=False)

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        try:
            from vllm import LLM, SamplingParams
        except ImportError:
            raise ConfigError("the vllm backend needs vLLM on a CUDA machine: pip install 'claimbench[vllm]'.") from None
        if options.path.endswith(".gguf") and not Path(options.path).is_file():
            raise ConfigError(f"vllm: GGUF file {options.path!r} does not exist.")
        self._engine, self._params = LLM, SamplingParams
        self.llm = self.tok = None  # the engine and its tokenizer, built by load()

    def load(self) -> None:
        o = self.options
        kwargs: dict[str, Any] = dict(model=o.path, dtype=o.dtype, seed=0, tensor_parallel_size=o.tensor_parallel_size,
                                      gpu_memory_utilization=o.gpu_memory_utilization)
        if o.tokenizer:
            kwargs["tokenizer"] = o.tokenizer
        if o.max_model_len:
            kwargs["max_model_len"] = o.max_model_len
        self.llm = self._engine(**kwargs)
        self.tok = self.llm.get_tokenizer()

    def identity(self) -> dict[str, Any]:
        import vllm

        from harness.hashing import sha256_file_cached
        ident: dict[str, Any] = {"vllm": vllm.__version__}
        if self.options.path.endswith(".gguf"):
            ident["gguf_sha256"] = sha256_file_cached(self.options.path)
        return ident

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        if kind == "loglikelihood":
            return self._loglikelihood(requests)  # type: ignore[arg-type]
        return self._generate(requests)  # type: ignore[arg-type]

    def _sampling(self, r: Generate):
        if r.temperature > 0:
            return self._params(temperature=r.temperature, top_p=1.0, max_tokens=r.max_tokens, stop=list(r.stop) or None,
                                seed=r.seed)
        return self._params(temperature=0.0, max_tokens=r.max_tokens, stop=list(r.stop) or None)

    def _generate(self, requests: Sequence[Generate]) -> list[str]:
        out: dict[int, str] = {}
        plain = [i for i, r in enumerate(requests) if not r.chat]
        chat = [i for i, r in enumerate(requests) if r.chat]
        if plain:
            res = self.llm.generate([requests[i].prompt for i in plain], [self._sampling(requests[i]) for i in plain],
                                    use_tqdm=False)
            out.update((i, o.outputs[0].text) for i, o in zip(plain, res))
        if chat:
            res = self.llm.chat([[{"role": "user", "content": requests[i].prompt}] for i in chat],
                                [self._sampling(requests[i]) for i in chat], use_tqdm=False)
            out.update((i, o.outputs[0].text) for i, o in zip(chat, res))
        return [truncate_at_stop(out[i], requests[i].stop) for i in range(len(requests))]

    def _loglikelihood(self, requests: Sequence[LogLikelihood]) -> list[dict]:
        spans = []
        for r in requests:
            context, continuation = move_trailing_spaces(r.context, r.continuation)
            whole = self.tok(context + continuation)["input_ids"]
            n_ctx = len(self.tok(context)["input_ids"]) if context else 0
            if not context:
                whole = [self.tok.bos_token_id or self.tok.eos_token_id] + self.tok(continuation, add_special_tokens=False)["input_ids"]
                n_ctx = 1
            spans.append((whole, n_ctx))
        params = self._params(temperature=0.0, max_tokens=1, prompt_logprobs=1)
        res = self.llm.generate([{"prompt_token_ids": w} for w, _ in spans], params, use_tqdm=False)
        out = []
        for (whole, n_ctx), o in zip(spans, res):
            total, greedy = 0.0, True
            for pos in range(n_ctx, len(whole)):
                entry = o.prompt_logprobs[pos][whole[pos]]
                total += entry.logprob
                greedy = greedy and entry.rank == 1
            out.append({"logprob": float(total), "is_greedy": greedy})
        return out
