"""`hf`: causal language models through transformers (local folder, hub id, or GGUF file).

Serves generate, loglikelihood and token_lens. Batches are left-padded with attention
masks and explicit position ids, so a prompt gives the same greedy output (fp32, CPU)
at any batch size. Greedy generate batches that share a long prompt prefix (few-shot
exemplars) compute the prefix's key/value cache once and reuse it (see prefix_cache.py).

Building the adapter loads the tokenizer and hashes the weight files (or resolves a hub id's
commit from its config); the weights themselves are loaded by load().
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from claimbench.harness import streams, usage
from claimbench.harness.errors import ConfigError
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import Generate, LogLikelihood, Request, TokenLens
from claimbench.harness.usage import Usage, with_usage

from ..lm import control_tokens
from ..lm.prefix_cache import PrefixCache
from ..lm.text import CHAT_ENCODING, LOGLIKELIHOOD_SPLIT, apply_chat, bos_or_eos, group_by, loglikelihood_pair, truncate_at_stop
from .loading import load_causal_lm, load_tokenizer, resolve_source, weights_identity


class HFAdapter(ModelAdapter):
    kinds = frozenset({"generate", "loglikelihood", "token_lens"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(fingerprint=False, doc="local model folder, hub id, or .gguf file (transformers dequantizes "
                                                  "it); identified by its files' sha256 or the hub id and commit")
        gguf_file: str | None = option(None, doc="GGUF file name inside `path` when path is a folder or hub id")
        revision: str | None = option(None, doc="hub revision (branch, tag or commit)")
        tokenizer: str | None = option(None, doc="tokenizer folder or hub id, if not the model's")
        dtype: Literal["float32", "bfloat16", "float16"] = option("float32")
        device: str = option("cpu")
        max_length: int | None = option(None, doc="context window; default: the model config's")
        prefix_cache: bool = option(True, fingerprint=False, doc="reuse the KV cache of a shared prompt prefix")
        min_prefix_tokens: int = option(16, fingerprint=False, doc="shortest shared prefix worth caching")
        threads: int | None = option(None, fingerprint=False, doc="torch CPU threads")
        slots: int = option(16, fingerprint=False, doc="greedy rows decoded together; a finished row's slot goes to the "
                                                       "next prompt, across the run's batches (continuous batching)")
        refill: int = option(4, fingerprint=False, doc="free slots that make the next prompts prefill together")
        suppress_control_tokens: bool = option(True, doc="forbid non-text control tokens at generation (control_tokens.py)")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        if options.slots < 1 or options.refill < 1:
            raise ConfigError(f"hf: slots and refill must be positive integers, got slots={options.slots}, "
                              f"refill={options.refill}.")
        self.source = resolve_source(options.path, options.gguf_file, options.revision)
        self.tok = load_tokenizer(options, self.source)
        self._weights = weights_identity(options, self.source)
        self.forbidden = self._control_tokens() if options.suppress_control_tokens else {}
        self._suppress = {"suppress_tokens": sorted(self.forbidden)} if self.forbidden else {}
        self.model = None  # the torch module, built by load()

    def _control_tokens(self) -> dict[int, str]:
        """From the GGUF file's token types where there is one (transformers does not mark Gemma's image tokens)."""
        if self.source.gguf_file:
            return control_tokens.from_gguf(Path(self.source.location) / self.source.gguf_file)
        return control_tokens.from_tokenizer(self.tok)

    def load(self) -> None:
        import torch

        o = self.options
        if o.threads:
            torch.set_num_threads(o.threads)
        self.torch = torch
        self.model = load_causal_lm(o, self.source)
        self.max_length = o.max_length or getattr(self.model.config, "max_position_embeddings", 2048)
        self.prefixes = PrefixCache(self.model, enabled=o.prefix_cache, min_tokens=o.min_prefix_tokens)
        eos = self.model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        from .continuous import ContinuousGreedy, plain_greedy

        self.continuous = None
        if plain_greedy(self.model.generation_config) and ContinuousGreedy.supports(self.model.config):
            self.continuous = ContinuousGreedy(self.model, self.prefixes, self.tok, o.slots, o.refill,
                                               sorted(self.forbidden), self.eos_ids)

    def identity(self) -> dict[str, Any]:
        ident = dict(self._weights)
        template = getattr(self.tok, "chat_template", None)
        if template:
            import hashlib
            ident["chat_template_sha256"] = hashlib.sha256(str(template).encode()).hexdigest()
        import transformers
        ident["transformers"] = transformers.__version__
        if self.forbidden:
            ident["suppressed_tokens"] = control_tokens.describe(self.forbidden)
        ident["loglikelihood_split"], ident["chat_encoding"] = LOGLIKELIHOOD_SPLIT, CHAT_ENCODING
        return ident

    def sort_key(self, request: Request) -> Any:
        """Text order: prompts that share few-shot exemplars land in the same batch, so the
        shared prefix is computed once per batch (and kept for the next)."""
        return request.prompt if isinstance(request, Generate) else -request.size()

    # --- serving -----------------------------------------------------------------------

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        with self.torch.inference_mode():
            if kind == "generate":
                return self._generate(requests)  # type: ignore[arg-type]
            if kind == "loglikelihood":
                return self._loglikelihood(requests)  # type: ignore[arg-type]
            return self._token_lens(requests)  # type: ignore[arg-type]

    def _encode(self, text: str, special: bool = True) -> list[int]:
        return self.tok(text, add_special_tokens=special)["input_ids"]

    def _prompt_ids(self, r: Generate) -> list[int]:
        """The prompt's tokens; a chat prompt's template text gets no added special tokens (text.apply_chat)."""
        return self._encode(apply_chat(self.tok, r.messages()), special=False) if r.chat else self._encode(r.prompt)

    def serve_batches(self, kind: str, batches: Sequence[Sequence[Request]]) -> Iterator[tuple[int, list[Any]]]:
        """On the continuous path all batches' greedy prompts share the slots, and each batch is handed
        back (to the cache) the moment its last row ends; otherwise batch by batch."""
        if kind != "generate" or self.continuous is None:
            yield from super().serve_batches(kind, batches)
            return
        yield from streams.by_batch(batches, self._stream(streams.flatten(batches)))  # type: ignore[arg-type]

    def render(self, request: Request) -> str:
        """A chat prompt as the template renders it (what its tokens are made from)."""
        if isinstance(request, Generate) and request.chat:
            return apply_chat(self.tok, request.messages())
        return super().render(request)

    def _generate(self, requests: Sequence[Generate]) -> list[dict]:
        t0 = time.perf_counter()
        out = dict(self._stream(requests))
        return usage.share_time([out[i] for i in range(len(requests))], time.perf_counter() - t0)

    def _stream(self, requests: Sequence[Generate]) -> Iterator[tuple[int, dict]]:
        """(index, response) of each request as it finishes: sampled ones one at a time (the seed must
        fix the sample whatever the batch), greedy ones by (max_tokens, stop), on the continuous path
        where the model allows it."""
        for i, r in enumerate(requests):
            if r.temperature > 0:
                with self.torch.inference_mode():
                    response = self._sample(r)
                yield i, response
        greedy = [i for i, r in enumerate(requests) if r.temperature == 0]
        for (max_tokens, stop), group in group_by([requests[i] for i in greedy], lambda r: (r.max_tokens, r.stop)).items():
            idx = [greedy[j] for j in group]
            prompts = [self._prompt_ids(requests[i]) for i in idx]
            for p in prompts:
                self._check_length(len(p), max_tokens)
            if self.continuous is None:
                yield from zip(idx, self._greedy(prompts, max_tokens, stop))
                continue
            for j, f in self.continuous.run(prompts, max_tokens, stop):
                text = truncate_at_stop(self.tok.decode(f.tokens, skip_special_tokens=True), stop)
                yield idx[j], with_usage(text, Usage(len(prompts[j]), f.reused, len(f.tokens)))

    def _check_length(self, n_prompt: int, n_new: int) -> None:
        if n_prompt + n_new > self.max_length:
            raise ConfigError(f"prompt of {n_prompt} tokens plus {n_new} new tokens exceeds the model's context of "
                              f"{self.max_length}; shorten the prompt (fewer shots) or lower max_tokens.")

    def _stopping(self, stop: tuple[str, ...], width: int, rows: int) -> Any:
        """A StopOnText (imported here: transformers loads only when a model does)."""
        from .stopping import StopOnText

        return StopOnText(self.tok, stop, width, self.eos_ids, rows)

    def _greedy(self, prompts: list[list[int]], max_tokens: int, stop: tuple[str, ...]) -> list[dict]:
        """generate() on the whole batch (models the continuous path does not serve)."""
        input_ids, mask, cache, reused = self.prefixes.prepare(prompts, self.tok.pad_token_id)
        ends = self._stopping(stop, input_ids.shape[1], len(prompts))
        kwargs: dict[str, Any] = dict(input_ids=input_ids, attention_mask=mask, max_new_tokens=max_tokens,
                                      do_sample=False, temperature=None, top_p=None, top_k=None,
                                      pad_token_id=self.tok.pad_token_id, stopping_criteria=[ends],
                                      **self._suppress)
        if cache is not None:
            kwargs["past_key_values"] = cache
        seqs = self.model.generate(**kwargs)
        texts = self.tok.batch_decode(seqs[:, input_ids.shape[1]:], skip_special_tokens=True)
        return [with_usage(truncate_at_stop(t, stop), Usage(len(p), r, n))
                for t, p, r, n in zip(texts, prompts, reused, ends.generated(max_tokens))]

    def _sample(self, r: Generate) -> dict:
        ids = self._prompt_ids(r)
        self._check_length(len(ids), r.max_tokens)
        ends = self._stopping(r.stop, len(ids), 1)
        state = self.torch.random.get_rng_state()
        self.torch.manual_seed(r.seed)
        try:
            seqs = self.model.generate(input_ids=self.torch.tensor([ids], device=self.model.device), do_sample=True,
                                       temperature=r.temperature, top_p=r.top_p, top_k=0, max_new_tokens=r.max_tokens,
                                       pad_token_id=self.tok.pad_token_id, stopping_criteria=[ends],
                                       **self._suppress)
        finally:
            self.torch.random.set_rng_state(state)
        text = truncate_at_stop(self.tok.decode(seqs[0, len(ids):], skip_special_tokens=True), r.stop)
        return with_usage(text, Usage(len(ids), 0, ends.generated(r.max_tokens)[0]))

    def _loglikelihood(self, requests: Sequence[LogLikelihood]) -> list[dict]:
        """lm-eval semantics: continuation tokens = tokens of (context + continuation) after the context's.
        Rows are left-padded (mask and position ids), so every continuation ends at the last column and
        only the last columns, as many as the longest continuation, go through the output layer (49k
        words x 576 for SmolLM2, a fifth of the model's work on idiom-length rows) and the log-softmax."""
        torch = self.torch
        pairs = [self._split(r) for r in requests]
        seqs = [(ctx + cont)[-(self.max_length + 1):][:-1] for ctx, cont in pairs]
        width, keep = max(len(s) for s in seqs), max(len(cont) for _, cont in pairs)
        pad = self.tok.pad_token_id
        ids = torch.tensor([[pad] * (width - len(s)) + s for s in seqs], device=self.model.device)
        mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=self.model.device)
        logits = self.model(input_ids=ids, attention_mask=mask, position_ids=(mask.cumsum(-1) - 1).clamp(min=0),
                            logits_to_keep=keep).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        out = []
        for row, (_, cont) in enumerate(pairs):
            lp = logprobs[row, keep - len(cont):]
            target = torch.tensor(cont, device=lp.device)
            out.append({"logprob": float(lp.gather(1, target[:, None]).sum()),
                        "is_greedy": bool((lp.argmax(-1) == target).all())})
        return out

    def _split(self, r: LogLikelihood) -> tuple[list[int], list[int]]:
        return loglikelihood_pair(self._encode, bos_or_eos(self.tok), r.context, r.continuation)

    def _token_lens(self, requests: Sequence[TokenLens]) -> list[dict]:
        from .logit_lens import lens_batch

        prompts = [self._encode(r.prompt) for r in requests]
        targets = [self._first_target_token(p, r) for p, r in zip(prompts, requests)]
        return lens_batch(self.model, prompts, targets, self.tok.pad_token_id)

    def _first_target_token(self, prompt_ids: list[int], r: TokenLens) -> int:
        """The first token the target would take right after the prompt (as tokenized in context)."""
        whole = self._encode(r.prompt + r.target)
        if whole[:len(prompt_ids)] == prompt_ids and len(whole) > len(prompt_ids):
            return whole[len(prompt_ids)]
        alone = self._encode(r.target, special=False)
        if not alone:
            raise ConfigError(f"token_lens target {r.target!r} has no tokens.")
        return alone[0]
