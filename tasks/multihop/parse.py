"""Reading the final answer out of a generation; None when there is none to read."""
from __future__ import annotations

import re

from .prompts import FINAL

_FINAL = re.compile(re.escape(FINAL), re.IGNORECASE)
_FOLLOW = re.compile(r"^Follow up:\s*(.*)$", re.MULTILINE)
_INTERMEDIATE = re.compile(r"^Intermediate answer:\s*(.*)$", re.MULTILINE)


def _clean(text: str) -> str | None:
    line = text.strip().split("\n")[0].strip()
    line = line.rstrip(".").strip()
    return line or None


def final_answer(generation: str, method: str) -> str | None:
    """direct: the first line; chain_of_thought / self_ask: what follows the last 'So the final answer is:'."""
    if method == "direct":
        return _clean(generation)
    hits = list(_FINAL.finditer(generation))
    return _clean(generation[hits[-1].end():]) if hits else None


def follow_ups(generation: str) -> list[dict]:
    """The (follow-up, intermediate answer) pairs a self-ask generation wrote, for the sample log."""
    qs, ans = _FOLLOW.findall(generation), _INTERMEDIATE.findall(generation)
    return [{"follow_up": q.strip(), "intermediate_answer": ans[i].strip() if i < len(ans) else None}
            for i, q in enumerate(qs)]
