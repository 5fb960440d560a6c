"""Hooks of `idiomem`: one greedy generation per idiom, and (with lens=true) one logit-lens request."""
from __future__ import annotations

from typing import Any

from harness.options import convert
from harness.requests import Generate, TokenLens
from harness.task import History, TaskHooks

from .split import memorized, predicted_word, split_idiom

FLAGS = ("prompt_comp_ind", "similarity_ind", "frequent_target_ind", "hard_to_guess")


class IdioMem(TaskHooks):
    """Prompt = the idiom without its last word; memorized = the greedy continuation's first word is it.

    The lens request asks for the rank and probability of the target's first token
    (" " + word, tokenized in context) at every layer's last position.
    """

    kinds_help = "the per-layer lens needs token_lens (hf backend); idiomem:lens=false runs the memorization rate alone"

    def __init__(self, config):
        super().__init__(config)
        self.lens = convert(config.params.get("lens", True), bool, f"task {config.task!r} option lens")
        self.kinds = frozenset({"generate", "token_lens"} if self.lens else {"generate"})

    def requests(self, row: dict, history: History) -> list:
        if history:
            return []
        prompt, target = split_idiom(row["idiom"])
        gen = Generate(prompt, max_tokens=int(self.config.params["max_tokens"]), stop=("\n",))
        return [gen, TokenLens(prompt, " " + target)] if self.lens else [gen]

    def process(self, row: dict, history: History) -> dict:
        prompt, target = split_idiom(row["idiom"])
        continuation = history[0][1]
        fields: dict[str, Any] = {"prompt": prompt, "continuation": continuation,
                                  "memorized": float(memorized(continuation, target)), "source": row["source"],
                                  **{f: bool(row[f]) for f in FLAGS}}
        if self.lens:
            fields["lens"] = history[1][1]
        return {"prediction": predicted_word(continuation) or "", "references": [target], "fields": fields}
