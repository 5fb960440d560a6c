"""`llamacpp`: GGUF models on CPU through llama-cpp-python (extra `llamacpp`).

Serves generate and loglikelihood; token_lens needs per-layer hidden states, which
llama.cpp does not expose, so the runner refuses token_lens tasks for this backend
before any work. Prefix reuse: llama.cpp keeps the previous prompt's KV cache and
evaluates only the tokens after the longest common prefix, so requests that share
few-shot exemplars pay for them once; requests are served in prompt order to make
neighbours share as much as possible.

The fingerprint includes the build's CPU features (llama.cpp's system info): a build
compiled with other instruction sets (AVX2 vs AVX-512, ARM NEON...) runs other kernels,
whose rounding changes greedy continuations after a few tokens. A cache copied to a
machine with another build therefore misses instead of serving the first machine's outputs.

Building the adapter hashes the GGUF file and reads its metadata (chat template, vocabulary
types) with the gguf package; the llama.cpp context is opened by load().
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from claimbench.harness import usage
from claimbench.harness.errors import ConfigError
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import Generate, LogLikelihood, Request
from claimbench.harness.usage import Usage, with_usage

from ..lm import control_tokens, gguf_metadata
from ..lm.prefix_cache import common_prefix_length
from ..lm.text import LOGLIKELIHOOD_SPLIT, loglikelihood_pair, truncate_at_stop
from .batch import DECODER, BatchedGreedy
from .cpu_cores import physical_cores


def _import_llama():
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ConfigError("the llamacpp backend needs llama-cpp-python: pip install 'claimbench[llamacpp]'.") from None
    return Llama


def cpu_features() -> str:
    """The instruction sets this llama.cpp build uses, from its system info (e.g. "AVX2 = 1 | FMA = 1")."""
    import llama_cpp
    info = llama_cpp.llama_print_system_info()
    info = info.decode() if isinstance(info, bytes) else str(info)
    flags = sorted({part.split(":")[-1].strip() for part in info.replace("\n", "|").split("|") if "= 1" in part})
    return " | ".join(flags)


class LlamaCppAdapter(ModelAdapter):
    kinds = frozenset({"generate", "loglikelihood"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(fingerprint=False, doc="GGUF file (identified by its sha256)")
        n_ctx: int = option(2048, doc="context window in tokens")
        threads: int | None = option(None, fingerprint=False,
                                     doc="CPU threads for prompt and generation (default: this process's physical cores)")
        n_batch: int = option(512, fingerprint=False, doc="prompt tokens evaluated per llama.cpp batch")
        parallel: int = option(16, fingerprint=False,
                               doc="greedy completions decoded together in one multi-sequence batch; 1: one request at a "
                                   "time through create_completion, whose outputs do not depend on the batch (the identity says which)")
        suppress_control_tokens: bool = option(True, doc="forbid non-text control tokens at generation (control_tokens.py)")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        if options.threads is not None and options.threads < 1:
            raise ConfigError(f"llamacpp: threads must be a positive integer, got {options.threads}.")
        if options.parallel < 1:
            raise ConfigError(f"llamacpp: parallel must be a positive integer, got {options.parallel}.")
        if not Path(options.path).is_file():
            raise ConfigError(f"llamacpp: GGUF file {options.path!r} does not exist.")
        self._llama_cls = _import_llama()
        fields = gguf_metadata.read(options.path)  # once: the vocabulary takes seconds to parse
        self.chat_template = gguf_metadata.string(fields, "tokenizer.chat_template")
        self.forbidden = control_tokens.from_gguf_fields(fields) if options.suppress_control_tokens else {}
        self._bias = {"logit_bias": {i: float("-inf") for i in self.forbidden}} if self.forbidden else {}
        self.llm = None  # the generation context, opened by load()
        self._scorer = None  # a second context with logits for every position, opened on first loglikelihood
        self._batched = None  # the multi-sequence context for greedy completions, opened on first use

    def load(self) -> None:
        self.llm = self._open(logits_all=False)

    def default_batch_size(self) -> int:
        """One call fills the multi-sequence batch."""
        return self.options.parallel

    def _open(self, logits_all: bool):
        """A llama.cpp context; both thread counts set, since llama.cpp's batch default (all logical
        CPUs) makes several processes on one machine oversubscribe it many times over."""
        o = self.options
        threads = o.threads or physical_cores()
        return self._llama_cls(model_path=o.path, n_ctx=o.n_ctx, n_threads=threads, n_threads_batch=threads,
                               n_batch=o.n_batch, logits_all=logits_all, verbose=False, seed=0)

    def identity(self) -> dict[str, Any]:
        ident: dict[str, Any] = {"gguf_sha256": sha256_file_cached(self.options.path)}
        if self.chat_template:
            ident["chat_template_sha256"] = hashlib.sha256(self.chat_template.encode()).hexdigest()
        import llama_cpp
        ident["llama_cpp_python"] = llama_cpp.__version__
        ident["cpu_features"] = cpu_features()
        if self.forbidden:
            ident["suppressed_tokens"] = control_tokens.describe(self.forbidden)
        ident["loglikelihood_split"] = LOGLIKELIHOOD_SPLIT
        ident["greedy_decoder"] = DECODER if self.options.parallel > 1 else "create_completion, one request at a time"
        return ident

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        if kind == "generate":
            return self._generate_all(requests)  # type: ignore[arg-type]
        order = sorted(range(len(requests)), key=lambda i: self._text(requests[i]))  # neighbours share prefixes
        out = {i: self._loglikelihood(requests[i]) for i in order}  # type: ignore[arg-type]
        return [out[i] for i in range(len(requests))]

    def _generate_all(self, requests: Sequence[Generate]) -> list[dict]:
        """Greedy completions together (llamacpp_batch.py); chat and sampled requests one at a time,
        and all of them with parallel=1."""
        t0 = time.perf_counter()
        together = [i for i, r in enumerate(requests) if r.temperature == 0 and not r.chat and self.options.parallel > 1]
        out = dict(zip(together, self._greedy([requests[i] for i in together]))) if together else {}
        alone = sorted(set(range(len(requests))) - set(together), key=lambda i: requests[i].prompt)
        out.update((i, self._generate(requests[i])) for i in alone)
        return usage.share_time([out[i] for i in range(len(requests))], time.perf_counter() - t0)

    def _greedy(self, requests: Sequence[Generate]) -> list[dict]:
        if self._batched is None:
            self._batched = BatchedGreedy(self.llm, self.options.parallel, 4 * self.options.n_ctx, sorted(self.forbidden))
        prompts = [self._batched.tokenize(r.prompt) for r in requests]
        for r, p in zip(requests, prompts):
            self._check_length(len(p), r.max_tokens)
        done = self._batched.generate(prompts, [r.max_tokens for r in requests], [r.stop for r in requests])
        return [with_usage(truncate_at_stop(text, r.stop), use) for r, (text, use) in zip(requests, done)]

    def _check_length(self, n_prompt: int, max_tokens: int) -> None:
        if n_prompt + max_tokens > self.options.n_ctx:
            raise ConfigError(f"llamacpp: prompt of {n_prompt} tokens plus {max_tokens} new tokens exceeds n_ctx="
                              f"{self.options.n_ctx}; raise n_ctx in the model spec or shorten the prompt.")

    def sort_key(self, request: Request) -> Any:
        return self._text(request)  # neighbours share prefixes, across batches too

    @staticmethod
    def _text(r: Request) -> str:
        return r.prompt if isinstance(r, Generate) else r.context + r.continuation  # type: ignore[attr-defined]

    def _tokens(self, text: str, bos: bool = True) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=False)

    def _generate(self, r: Generate) -> dict:
        """One request through create_completion (or create_chat_completion for chat prompts)."""
        self._check_length(len(self._tokens(r.prompt)), r.max_tokens)
        before = self.llm.input_ids[:self.llm.n_tokens].tolist()
        sampling = dict(temperature=r.temperature, top_p=r.top_p, top_k=0, min_p=0.0, seed=r.seed) if r.temperature > 0 \
            else dict(temperature=0.0, top_k=1)
        if r.chat:
            if not self.chat_template:  # llama-cpp-python would fall back to a format of its own, silently
                raise ConfigError(f"{self.options.path}: this GGUF carries no chat template (tokenizer.chat_template), so "
                                  "chat prompts (--apply-chat-template) cannot be rendered as the model expects; run without it.")
            res = self.llm.create_chat_completion(messages=r.messages(),
                                                  max_tokens=r.max_tokens, stop=list(r.stop) or None, **sampling, **self._bias)
            text = res["choices"][0]["message"]["content"] or ""
        else:
            res = self.llm.create_completion(r.prompt, max_tokens=r.max_tokens, stop=list(r.stop) or None,
                                             repeat_penalty=1.0, **sampling, **self._bias)
            text = res["choices"][0]["text"]
        n_prompt = res["usage"]["prompt_tokens"]
        reused = common_prefix_length([before, self.llm.input_ids[:n_prompt - 1].tolist()])  # llama-cpp-python's reuse rule
        return with_usage(truncate_at_stop(text, r.stop), Usage(n_prompt, reused, res["usage"]["completion_tokens"]))

    def _loglikelihood(self, r: LogLikelihood) -> dict:
        """lm-eval semantics: continuation tokens = tokens of (context + continuation) after the context's."""
        if self._scorer is None:
            self._scorer = self._open(logits_all=True)
        llm = self._scorer
        ctx, cont = loglikelihood_pair(lambda text, special: self._tokens(text, bos=special), llm.token_bos(),
                                       r.context, r.continuation)
        tokens = ctx + cont
        if len(tokens) > self.options.n_ctx:
            raise ConfigError(f"llamacpp: {len(tokens)} tokens exceed n_ctx={self.options.n_ctx}; raise n_ctx in the model spec.")
        # Evaluate only what follows the prefix already in the KV cache.
        keep = min(common_prefix_length([llm.input_ids[:llm.n_tokens].tolist(), tokens]), len(tokens) - 1)
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        logits = np.asarray(llm.scores[len(ctx) - 1:len(tokens) - 1], dtype=np.float64)
        logprobs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
        picked = logprobs[np.arange(len(cont)), cont]
        return {"logprob": float(picked.sum()), "is_greedy": bool((logits.argmax(-1) == np.asarray(cont)).all())}

    def close(self) -> None:
        for ctx in (self._batched, self.llm, self._scorer):  # the batched context lives on self.llm's model
            if ctx is not None:
                ctx.close()
