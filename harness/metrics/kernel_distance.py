"""Kernel Inception Distance with clean-fid's estimator, seeded.

KID is the unbiased MMD^2 between two feature sets under the cubic polynomial kernel
k(a, b) = (a.b / d + 1)^3, averaged over random subsets. Each subset draws
m = min(n1, n2, max_subset_size) rows without replacement, first from the second set,
then from the first: clean-fid's order, so with the same seed (clean-fid reads numpy's
global RNG; seed it with np.random.seed(seed)) the subsets and the value are clean-fid's.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError


def kernel_distance(feats1, feats2, *, num_subsets: int = 100, max_subset_size: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """(mean, std over subsets) of the subset MMD^2 estimates, in float64."""
    x1, x2 = np.asarray(feats1, np.float64), np.asarray(feats2, np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise DataError(f"KID needs two (n, d) feature arrays from the same feature network; got shapes {x1.shape} and {x2.shape}.")
    if not (np.isfinite(x1).all() and np.isfinite(x2).all()):
        raise DataError("KID: features contain NaN or inf; check the images and the feature network.")
    m = min(len(x1), len(x2), max_subset_size)
    if m < 2:
        raise DataError(f"KID needs at least 2 samples per set, got {len(x1)} and {len(x2)}.")
    d, rng, values = x1.shape[1], np.random.RandomState(seed), []
    for _ in range(num_subsets):
        y = x2[rng.choice(len(x2), m, replace=False)]
        x = x1[rng.choice(len(x1), m, replace=False)]
        within = (x @ x.T / d + 1) ** 3 + (y @ y.T / d + 1) ** 3
        across = (x @ y.T / d + 1) ** 3
        values.append(((within.sum() - np.diag(within).sum()) / (m - 1) - across.sum() * 2 / m) / m)
    return float(np.mean(values)), float(np.std(values))
