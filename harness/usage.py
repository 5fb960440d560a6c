"""Token accounting: what each generation cost, stored with its response so cached answers keep it.

An adapter that knows its costs answers a generate request with
`{"text": ..., "usage": {...}}` instead of a bare string (`with_usage`). The dispatcher
writes that whole value to the cache and hands tasks the text alone (`split`), so hooks never
see usage and a response read back from the cache carries the counts of the call that made it.

Fields of a usage record:
- `prompt_tokens`: tokens of the prompt as the model saw it;
- `reused_prompt_tokens`: of those, tokens whose key/value cache came from an earlier
  computation (a shared few-shot prefix) instead of being evaluated for this request;
- `generated_tokens`: tokens the model produced, up to and including the one that ended it
  (stop string, end of sequence or max_tokens), not the padding a batch adds after that;
- `seconds`: this request's share of its batch's wall time (the batch time divided by the
  requests in it), so the shares of a run add up to its model time.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .records import TokenTotals

FIELDS = ("prompt_tokens", "reused_prompt_tokens", "generated_tokens", "seconds")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    reused_prompt_tokens: int
    generated_tokens: int
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def with_usage(text: str, usage: Usage) -> dict:
    """A generate response that carries its cost."""
    return {"text": text, "usage": usage.to_json()}


def share_time(responses: list[dict], seconds: float) -> list[dict]:
    """Give each response of a batch its equal share of the batch's wall time."""
    each = seconds / max(len(responses), 1)
    for r in responses:
        r["usage"]["seconds"] = round(each, 6)
    return responses


def counts_only(usage: dict) -> dict:
    """What samples.jsonl keeps of a record: the prompt and generated tokens, which the request and
    its answer fix. How much of the prompt was reused and the seconds depend on what ran before
    (batch neighbours, a backend's remembered prefix, the machine), so they stay in the cache and
    results.json's totals, and the log of a rerun, on any executor, stays byte-identical."""
    return {"prompt_tokens": usage["prompt_tokens"], "generated_tokens": usage["generated_tokens"]}


def valid(usage: Any) -> bool:
    if not isinstance(usage, dict) or set(usage) != set(FIELDS):
        return False
    counts = [usage[f] for f in FIELDS[:3]]
    if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        return False
    s = usage["seconds"]
    return (isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) and s >= 0
            and usage["reused_prompt_tokens"] <= usage["prompt_tokens"])


def split(response: Any) -> tuple[Any, dict | None]:
    """(what the task sees, the usage record or None) of a response as stored in the cache."""
    if isinstance(response, dict) and set(response) == {"text", "usage"}:
        return response["text"], response["usage"]
    return response, None


class Totals:
    """Sums over the requests a task asked (a repeated request counts for each asker: the cost of
    the method per question, whatever dedup and the cache saved). `seconds` is likewise what the
    asked requests took when computed; the run's own model time is its `timings.model_s`."""

    def __init__(self) -> None:
        self.requests = self.without_usage = 0
        self.sums = dict.fromkeys(FIELDS, 0)

    def add(self, usage: dict | None) -> None:
        if usage is None:
            self.without_usage += 1
            return
        self.requests += 1
        for f in FIELDS:
            self.sums[f] += usage[f]

    def to_json(self) -> TokenTotals:
        s = self.sums
        return TokenTotals(requests=self.requests, requests_without_usage=self.without_usage,
                           prompt_tokens=int(s["prompt_tokens"]), reused_prompt_tokens=int(s["reused_prompt_tokens"]),
                           generated_tokens=int(s["generated_tokens"]), seconds=round(s["seconds"], 4),
                           new_prompt_tokens=int(s["prompt_tokens"] - s["reused_prompt_tokens"]))
