"""Hooks of `idiomem`: one greedy generation per idiom, and (with lens=true) one logit-lens request."""
from __future__ import annotations

from typing import Any

from claimbench.harness.options import convert
from claimbench.harness.requests import Generate, TokenLens
from claimbench.harness.task import History, TaskHooks

from .split import memorized, predicted_word, split_idiom

FLAGS = ("prompt_comp_ind", "similarity_ind", "frequent_target_ind", "hard_to_guess")


class IdioMem(TaskHooks):
    """Prompt = the idiom without its last word. Two definitions of memorized, from the same requests:
    `memorized`: the greedy continuation's first word is the target word (ours; a multi-token
    word must come out whole); `memorized_first_token`: the model's top-1 next token is the
    target's first token (Haviv et al.'s code), read from the lens's output layer, so it is
    measured only with lens=true.

    The lens request asks for the rank and probability of the target's first token
    (" " + word, tokenized in context) at every layer's last position.
    """

    fields = {
        "memorized": ("memorized", "The greedy continuation's first word is the idiom's last word (whole word)."),
        "memorized_first_token": ("memorized (first token)", "The top-1 next token is the last word's first token "
                                  "(Haviv et al.'s definition)."),
        "source": ("source", "The idiom collection the idiom comes from."),
        **{flag: (flag.removesuffix("_ind").replace("_", " "), f"IdioMem's {flag} annotation of the idiom is true.")
           for flag in FLAGS},
    }
    param_types = {"lens": bool, "max_tokens": int}
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
        fields["memorized_first_token"] = float(history[1][1]["ranks"][-1] == 1) if self.lens else None
        if self.lens:
            fields["lens"] = history[1][1]
        return {"prediction": predicted_word(continuation) or "", "references": [target], "fields": fields}
