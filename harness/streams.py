"""Batches handed back from a stream of responses, for backends that decode across batch boundaries.

A continuous-batching backend serves all of a kind's batches as one queue and finishes requests
in its own order; the dispatcher still writes to the cache batch by batch. `by_batch` turns the
backend's (request index, response) stream into (batch index, responses), each batch the moment
its last response arrives, so a killed run loses no more than the batches still in flight.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from . import usage
from .requests import Request


def flatten(batches: Sequence[Sequence[Request]]) -> list[Request]:
    return [r for batch in batches for r in batch]


def by_batch(batches: Sequence[Sequence[Request]], stream: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, list[Any]]]:
    """Each batch's responses (indices of `stream` count over the flattened batches); responses that
    carry usage records get equal shares of the time since the previous batch was handed back."""
    owner = [b for b, batch in enumerate(batches) for _ in batch]
    starts = [0]
    for batch in batches:
        starts.append(starts[-1] + len(batch))
    out: list[Any] = [None] * len(owner)
    left = Counter(owner)
    t0 = time.perf_counter()
    for i, response in stream:
        out[i], b = response, owner[i]
        left[b] -= 1
        if not left[b]:
            now, part = time.perf_counter(), out[starts[b]:starts[b + 1]]
            timed = all(isinstance(r, dict) and "usage" in r for r in part)  # usage records (harness/usage.py)
            yield b, usage.share_time(part, now - t0) if timed else part
            t0 = now
