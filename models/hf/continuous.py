"""Continuous batching for transformers greedy generation: a finished row's slot goes to the next prompt.

generate() decodes a batch until its longest row ends, so with ragged answers (chain of
thought, self-ask) most rows idle through the tail. Here the decode loop is ours: up to
`slots` rows share one DynamicCache, left-padded to a common width, with an attention mask
and explicit position ids, so each row computes what it would alone. Finished rows leave the
cache at once, their results handed back (and columns no row attends to any more are
dropped); when `refill` slots are free the next prompts are prefilled together, sharing their few-shot prefix through
PrefixCache, and their cache rows join the batch, the narrower side padded on the left.

Only plain greedy decoding is served this way: a model whose generation config adds logits
processors (repetition penalty, bad words, ...) or whose cache is not a plain DynamicCache
(sliding-window layers) goes through generate() in fixed batches.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from ..lm.prefix_cache import PrefixCache

# generation-config fields whose non-default values add a logits processor to generate()'s greedy path
_PROCESSORS = {"repetition_penalty": (None, 1.0), "no_repeat_ngram_size": (None, 0), "bad_words_ids": (None,),
               "min_length": (None, 0), "min_new_tokens": (None, 0), "forced_bos_token_id": (None,),
               "forced_eos_token_id": (None,), "begin_suppress_tokens": (None,), "sequence_bias": (None,),
               "encoder_repetition_penalty": (None, 1.0), "exponential_decay_length_penalty": (None,)}


def plain_greedy(generation_config: Any) -> bool:
    """True when generate()'s greedy decoding is argmax over the logits (less suppressed tokens)."""
    return all(getattr(generation_config, name, None) in allowed for name, allowed in _PROCESSORS.items())


class GrowingLayer(DynamicLayer):
    """A DynamicLayer that appends into spare capacity instead of concatenating: DynamicLayer's
    torch.cat reallocates the whole cache every step, which on CPU can cost more than the model
    (a 16-row, 474-column cache: 553 ms a step against 121 ms)."""

    SPARE = 64  # columns allocated ahead

    def __init__(self, keys: torch.Tensor, values: torch.Tensor):
        super().__init__()
        self.keys, self.values, self.buffers = keys, values, None
        self.dtype, self.device, self.is_initialized = keys.dtype, keys.device, True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        n, length = key_states.shape[-2], self.keys.shape[-2]
        if self.buffers is None or length + n > self.buffers[0].shape[-2]:
            shape = (*self.keys.shape[:-2], length + n + self.SPARE, self.keys.shape[-1])
            self.buffers = (self.keys.new_empty(shape), self.values.new_empty(shape))
            self.buffers[0][..., :length, :] = self.keys
            self.buffers[1][..., :length, :] = self.values
        keys, values = self.buffers
        keys[..., length:length + n, :] = key_states
        values[..., length:length + n, :] = value_states
        self.keys, self.values = keys[..., :length + n, :], values[..., :length + n, :]
        return self.keys, self.values


@dataclass
class Row:
    index: int          # the prompt's place in run()'s list
    reused: int         # prompt tokens taken from a remembered prefix
    tokens: list[int] = field(default_factory=list)  # generated, the one that ended the row included


class ContinuousGreedy:
    """One call of run() serves a list of prompts that share max_tokens and stop strings."""

    def __init__(self, model: Any, prefixes: PrefixCache, tok: Any, slots: int, refill: int,
                 suppress: list[int], eos_ids: set[int]):
        self.model, self.prefixes, self.tok = model, prefixes, tok
        self.slots, self.refill, self.eos = slots, max(1, min(refill, slots)), eos_ids
        self.suppress = torch.tensor(suppress, dtype=torch.long, device=model.device) if suppress else None

    @staticmethod
    def supports(config: Any) -> bool:
        """Whether the model's cache is plain DynamicLayers, whose rows and columns can be cut and joined."""
        return all(type(layer) is DynamicLayer for layer in DynamicCache(config=config).layers)

    @torch.inference_mode()  # torch enters it at each resume of the generator and leaves it at each yield
    def run(self, prompts: list[list[int]], max_tokens: int, stop: tuple[str, ...]) -> Iterator[tuple[int, Row]]:
        """(index, result) of each prompt, the moment its row ends."""
        self.max_tokens, self.stop = max_tokens, [s for s in stop if s]
        queue = list(range(len(prompts)))
        rows: list[Row] = []
        cache = mask = pending = None
        while queue or rows:
            free = self.slots - len(rows)
            if queue and (free >= self.refill or not rows or free >= len(queue)):
                admit, queue = queue[:free], queue[free:]
                new_rows, new_cache, new_mask, first = self._prefill(admit, [prompts[i] for i in admit])
                rows, cache, mask, pending = self._join(rows, cache, mask, pending, new_rows, new_cache, new_mask, first)
                grown = range(len(rows) - len(new_rows), len(rows))
            else:
                pending = self._step(cache, mask, pending)
                mask = torch.nn.functional.pad(mask, (0, 1), value=1)
                grown = range(len(rows))
            tokens = pending.tolist()
            for i in grown:
                rows[i].tokens.append(tokens[i])
            ended = [i for i in grown if self._ended(rows[i])]
            for i in ended:
                yield rows[i].index, rows[i]
            if ended:
                keep = [i for i in range(len(rows)) if i not in set(ended)]
                rows = [rows[i] for i in keep]
                cache, mask, pending = self._select(cache, mask, pending, keep)

    def _ended(self, row: Row) -> bool:
        if len(row.tokens) >= self.max_tokens or row.tokens[-1] in self.eos:
            return True
        return bool(self.stop) and any(s in self.tok.decode(row.tokens, skip_special_tokens=True) for s in self.stop)

    def _next(self, logits: Any) -> Any:
        if self.suppress is not None:
            logits = logits.index_fill(-1, self.suppress, float("-inf"))
        return logits.argmax(-1)

    def _prefill(self, indices: list[int], prompts: list[list[int]]) -> tuple[list[Row], Any, Any, Any]:
        """The prompts' cache rows, mask and first generated tokens."""
        ids, mask, kv, reused = self.prefixes.prepare(prompts, self.tok.pad_token_id)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        start = 0 if kv is None else kv.get_seq_length()
        out = self.model(input_ids=ids[:, start:], attention_mask=mask, position_ids=positions[:, start:],
                         past_key_values=kv, use_cache=True, logits_to_keep=1)
        rows = [Row(i, r) for i, r in zip(indices, reused)]
        cache = out.past_key_values
        cache.layers = [GrowingLayer(layer.keys, layer.values) for layer in cache.layers]
        return rows, cache, mask, self._next(out.logits[:, -1, :])

    def _step(self, cache: Any, mask: Any, pending: Any) -> Any:
        """One decoding step of every row: feeds the pending tokens, returns the next ones."""
        out = self.model(input_ids=pending[:, None], attention_mask=torch.nn.functional.pad(mask, (0, 1), value=1),
                         position_ids=mask.sum(-1, keepdim=True), past_key_values=cache, use_cache=True,
                         logits_to_keep=1)
        return self._next(out.logits[:, -1, :])

    def _join(self, rows, cache, mask, pending, new_rows, new_cache, new_mask, first):
        """Both groups in one cache, the narrower padded on the left (masked columns)."""
        if not rows:
            return new_rows, new_cache, new_mask, first
        width, new_width = mask.shape[1], new_mask.shape[1]
        cache.layers = [GrowingLayer(torch.cat([_left_pad(old.keys, new_width - width), _left_pad(new.keys, width - new_width)]),
                                     torch.cat([_left_pad(old.values, new_width - width), _left_pad(new.values, width - new_width)]))
                        for old, new in zip(cache.layers, new_cache.layers)]
        pad = torch.nn.functional.pad
        mask = torch.cat([pad(mask, (max(0, new_width - width), 0)), pad(new_mask, (max(0, width - new_width), 0))])
        return rows + new_rows, cache, mask, torch.cat([pending, first])

    def _select(self, cache, mask, pending, keep):
        """The kept rows, less the leading columns none of them attends to."""
        if not keep:
            return None, None, None
        index = torch.tensor(keep, device=mask.device)
        mask = mask[index]
        drop = int(mask.any(0).long().argmax())
        cache.layers = [GrowingLayer(layer.keys[index, :, drop:], layer.values[index, :, drop:]) for layer in cache.layers]
        return cache, mask[:, drop:], pending[index]


def _left_pad(kv: torch.Tensor, n: int) -> torch.Tensor:
    """(batch, heads, seq, dim) with n zero columns before seq; unchanged when n <= 0."""
    return torch.nn.functional.pad(kv, (0, 0, n, 0)) if n > 0 else kv
