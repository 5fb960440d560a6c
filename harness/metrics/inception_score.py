"""Inception Score from classifier logits, with torch-fidelity's semantics.

IS = exp(E_x KL(p(y|x) || p(y))), computed on `splits` consecutive chunks of the samples
after a seeded shuffle (numpy RandomState(seed).permutation, torch-fidelity's default seed
2020), reported as the mean and population std (ddof=0) over the chunks. The logits are
the Inception network's 1008-way `logits_unbiased` (pool features times the fc weights,
no bias) in torch-fidelity; any classifier's logits give an IS of that classifier.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError


def inception_score(logits, *, splits: int = 10, shuffle: bool = True, seed: int = 2020) -> tuple[float, float]:
    """(mean, std) of the per-split scores, in float64."""
    x = np.asarray(logits, np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise DataError(f"inception score needs (n, classes) logits, got shape {x.shape}.")
    if not np.isfinite(x).all():
        raise DataError("inception score: logits contain NaN or inf.")
    if not 1 <= splits <= len(x):
        raise DataError(f"inception score: {len(x)} samples cannot make {splits} splits; use more samples or fewer splits.")
    if shuffle:
        x = x[np.random.RandomState(seed).permutation(len(x))]
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    scores = []
    for i in range(splits):
        part = logp[i * len(x) // splits:(i + 1) * len(x) // splits]
        p = np.exp(part)
        log_marginal = np.log(p.mean(0))
        scores.append(np.exp((p * (part - log_marginal)).sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))
