"""Prefix reuse for transformers generation: compute a shared prompt prefix's KV cache once.

Few-shot prompts share their exemplars. When every prompt of a batch starts with the
same tokens (at least `min_tokens`), the prefix is run through the model once (and
remembered for the next batches), its cache is repeated across the batch, and each
prompt's own suffix follows, padded between prefix and suffix:

    [prefix tokens][pad ... pad][suffix tokens]    attention mask 1...1 0...0 1...1

generate() derives position ids from the attention mask, so each suffix token gets the
position it would have without padding, and masked pads receive no attention: the
result equals running each full prompt on its own.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

_MEMO_SIZE = 4  # prefixes remembered across batches (tasks rarely interleave more)


def common_prefix_length(seqs: list[list[int]]) -> int:
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for i in range(n):
        t = first[i]
        if any(s[i] != t for s in seqs):
            return i
    return n


class PrefixCache:
    def __init__(self, model: Any, enabled: bool = True, min_tokens: int = 16):
        self.model, self.enabled, self.min_tokens = model, enabled, min_tokens
        self._memo: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self.hits = self.misses = 0

    def _prefix_kv(self, prefix: tuple[int, ...]) -> tuple[Any, bool]:
        """The prefix's cache, and whether it was remembered rather than computed now."""
        if prefix in self._memo:
            self._memo.move_to_end(prefix)
            self.hits += 1
            return self._memo[prefix], True
        import torch

        self.misses += 1
        ids = torch.tensor([list(prefix)], device=self.model.device)
        kv = self.model(input_ids=ids, use_cache=True).past_key_values
        self._memo[prefix] = kv
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return kv, False

    def prepare(self, prompts: list[list[int]], pad_id: int) -> tuple[Any, Any, Any, list[int]]:
        """input_ids, attention_mask, (if a prefix is shared) a filled cache for generate(), and the
        prompt tokens each prompt reused: a prefix computed for this batch counts as new for the
        first prompt and reused for the others, so the batch's new tokens are the work done."""
        import torch

        device = self.model.device
        shared = min(common_prefix_length(prompts), min(len(p) for p in prompts) - 1)  # keep >= 1 suffix token
        if not self.enabled or shared < self.min_tokens:
            width = max(len(p) for p in prompts)
            ids = [[pad_id] * (width - len(p)) + p for p in prompts]
            mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompts]
            return torch.tensor(ids, device=device), torch.tensor(mask, device=device), None, [0] * len(prompts)
        prefix = tuple(prompts[0][:shared])
        suffixes = [p[shared:] for p in prompts]
        width = max(len(s) for s in suffixes)
        ids = [list(prefix) + [pad_id] * (width - len(s)) + s for s in suffixes]
        mask = [[1] * shared + [0] * (width - len(s)) + [1] * len(s) for s in suffixes]
        kv, remembered = self._prefix_kv(prefix)
        kv = copy.deepcopy(kv)
        if len(prompts) > 1:
            kv.batch_repeat_interleave(len(prompts))
        reused = [shared] * len(prompts)
        if not remembered:
            reused[0] = 0
        return torch.tensor(ids, device=device), torch.tensor(mask, device=device), kv, reused
