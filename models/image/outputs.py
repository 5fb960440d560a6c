"""What an image model's output rows become, per request kind: shared by `onnx` and `torch-module`.

An embedder's row is the embedding as it is (raw, not normalised). A classifier's row is its
logits (or probabilities with `probabilities=true`): the response is the `top_k` labels (class
indices, most likely first, ties to the lower index) with their softmax probabilities,
computed in float64 so the order does not depend on float32 rounding.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from claimbench.harness.errors import AdapterError

KINDS = frozenset({"embed_image", "classify_image"})


def responses(kind: str, requests: Sequence[Any], rows: np.ndarray, probabilities: bool, who: str) -> list[Any]:
    """One response per request from the model's output rows (N, D)."""
    rows = np.asarray(rows, dtype=np.float64).reshape(len(requests), -1)
    if kind == "embed_image":
        return [row.tolist() for row in rows]
    return [top_k(row, r.top_k, probabilities, who) for row, r in zip(rows, requests)]


def top_k(row: np.ndarray, k: int, probabilities: bool, who: str) -> dict:
    if k > row.size:
        raise AdapterError(f"{who}: a request asks for the top {k} labels of a model with {row.size} outputs.")
    if probabilities:
        probs = row
    else:
        e = np.exp(row - row.max())
        probs = e / e.sum()
    order = np.argsort(-probs, kind="stable")[:k]
    return {"labels": [int(i) for i in order], "probs": [float(probs[i]) for i in order]}
