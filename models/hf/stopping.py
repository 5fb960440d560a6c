"""When each row of a transformers greedy batch is done: stop string, end of sequence or max_tokens.

transformers' own `stop_strings` embeds the whole vocabulary on every generate() call (about
0.5 s for SmolLM2's 49k tokens on 2 cores), more than the generation itself costs when answers
are a few tokens long. Decoding each unfinished row's new tokens once per step is cheap, and
since the text is cut at the stop string afterwards, the outputs are the same. The step at which
each row finished is kept: it is the row's generated-token count (harness/usage.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from transformers import StoppingCriteria


class StopOnText(StoppingCriteria):
    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_width: int, eos_ids: set[int], rows: int):
        self.tok, self.stop, self.start, self.eos = tokenizer, [s for s in stop if s], prompt_width, eos_ids
        self.lengths: list[int | None] = [None] * rows

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        n = input_ids.shape[1] - self.start
        for row, length in enumerate(self.lengths):
            if length is None and self._ends(input_ids[row, self.start:]):
                self.lengths[row] = n
        return torch.tensor([length is not None for length in self.lengths], device=input_ids.device)

    def _ends(self, new: Any) -> bool:
        if int(new[-1]) in self.eos:
            return True
        if not self.stop:
            return False
        text = self.tok.decode(new, skip_special_tokens=True)
        return any(s in text for s in self.stop)

    def generated(self, max_tokens: int) -> list[int]:
        """Tokens each row produced, the one that ended it included."""
        return [max_tokens if length is None else length for length in self.lengths]
