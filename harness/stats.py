"""Mean, standard error, bootstrap confidence intervals and paired run differences: the one
statistics module of runs, `compare` and claim verdicts.

All resampling is scipy.stats.bootstrap (percentile method, seeded), with one set of constants.
A sample with no spread has a degenerate CI equal to its value; scipy would return NaN there.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

N_RESAMPLES = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    value: float
    stderr: float | None
    ci: tuple[float, float] | None
    n: int


def _as_array(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ConfigError(f"{what}: expected a flat list of numbers, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{what}: contains NaN or infinite values; fix the per-sample scores.")
    return arr


def mean_stderr(values: Sequence[float] | np.ndarray) -> tuple[float, float | None]:
    """Sample mean and its standard error (ddof=1); stderr is None for n < 2."""
    arr = _as_array(values, "mean_stderr")
    if arr.size == 0:
        raise ConfigError("mean_stderr: no values; at least one scored sample is needed.")
    if arr.size < 2:
        return float(arr[0]), None
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(arr.size))


def bootstrap_ci(values: Sequence[float] | np.ndarray, statistic: Callable = np.mean, *,
                 seed: int = 0, n_resamples: int = N_RESAMPLES,
                 confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Percentile bootstrap CI of `statistic` via scipy.stats.bootstrap; None for n < 2."""
    arr = _as_array(values, "bootstrap_ci")
    if arr.size < 2:
        return None
    if np.ptp(arr) == 0:
        v = float(statistic(arr))
        return v, v
    from scipy import stats as sps  # imported here: scipy.stats costs ~0.7 s at CLI start-up

    res = sps.bootstrap((arr,), statistic, vectorized=True, n_resamples=n_resamples,
                        confidence_level=confidence, method="percentile",
                        random_state=np.random.default_rng(seed), batch=_batch(arr.size, n_resamples))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _batch(n: int, n_resamples: int) -> int:
    """Resamples per vectorised batch, keeping each batch near 8M floats of memory."""
    return max(1, min(n_resamples, 8_000_000 // max(n, 1)))


def estimate(values: Sequence[float] | np.ndarray, *, seed: int = 0) -> Estimate:
    """Mean with stderr and a bootstrap 95% CI."""
    arr = _as_array(values, "estimate")
    value, se = mean_stderr(arr)
    return Estimate(value, se, bootstrap_ci(arr, seed=seed), int(arr.size))


def paired_bootstrap(base: Sequence[float], new: Sequence[float], *, seed: int = 0,
                     n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """Mean of (new - base) over the same samples, with a paired bootstrap CI.

    Resampling whole pairs keeps the per-sample correlation between the two runs, which
    makes the interval far tighter than comparing two independent CIs.
    """
    a, b = _as_array(base, "paired_bootstrap base"), _as_array(new, "paired_bootstrap new")
    if a.shape != b.shape:
        raise ConfigError(f"paired_bootstrap: runs have {a.size} and {b.size} samples; pair them on the same sample ids first.")
    diff = b - a
    value, se = mean_stderr(diff)
    return Estimate(value, se, bootstrap_ci(diff, seed=seed, n_resamples=n_resamples, confidence=confidence), int(diff.size))


def ratio_bootstrap_ci(numerator: Sequence[float], denominator: Sequence[float], *, seed: int = 0,
                       n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Percentile bootstrap CI of sum(numerator) / sum(denominator), resampling samples in pairs.

    Used for rates over a subset chosen per sample (the compositionality gap: wrong two-hop
    answers among questions whose sub-questions were both right). None when n < 2 or the
    denominator is all zero.
    """
    num, den = _as_array(numerator, "ratio numerator"), _as_array(denominator, "ratio denominator")
    if num.shape != den.shape:
        raise ConfigError("ratio_bootstrap_ci: numerator and denominator must have one value per sample.")
    if num.size < 2 or den.sum() == 0:
        return None
    if np.ptp(num) == 0 and np.ptp(den) == 0:
        v = float(num.sum() / den.sum())
        return v, v
    from scipy import stats as sps

    def ratio(n, d, axis=-1):
        total = d.sum(axis=axis)
        return np.where(total > 0, n.sum(axis=axis) / np.where(total > 0, total, 1), np.nan)

    with warnings.catch_warnings():  # resamples with a zero denominator are undefined, not an error
        warnings.simplefilter("ignore")
        res = sps.bootstrap((num, den), ratio, paired=True, vectorized=True, n_resamples=n_resamples,
                            confidence_level=confidence, method="percentile",
                            random_state=np.random.default_rng(seed), batch=_batch(num.size, n_resamples))
    return percentile_interval(res.bootstrap_distribution, confidence)


def bootstrap_distribution(statistic: Callable[..., np.ndarray], sizes: Sequence[int], *, seed: int = 0,
                           n_resamples: int = N_RESAMPLES) -> np.ndarray:
    """(n_resamples, k): `statistic(*rows)` -> k values, on resampled row indices, one index array per
    entry of `sizes`, each resampled independently (rows that must move together, as the paired
    runs of a claim's test, share one index array). All-NaN when a sample has fewer than 2 rows."""
    full = np.atleast_1d(np.asarray(statistic(*(np.arange(n) for n in sizes)), dtype=float))
    if min(sizes) < 2:
        return np.full((n_resamples, full.size), np.nan)
    from scipy import stats as sps

    with warnings.catch_warnings():  # undefined resamples (NaN) are the caller's to count, not an error
        warnings.simplefilter("ignore")
        res = sps.bootstrap(tuple(np.arange(n) for n in sizes), lambda *rows: np.atleast_1d(statistic(*rows)),
                            vectorized=False, paired=False, n_resamples=n_resamples, method="percentile",
                            random_state=np.random.default_rng(seed))
    return np.asarray(res.bootstrap_distribution, dtype=float).reshape(full.size, n_resamples).T


def percentile_interval(dist: np.ndarray, confidence: float = CONFIDENCE,
                        method: str = "linear") -> tuple[float, float] | None:
    """Percentile interval over the defined (non-NaN) resamples; None when none is. `linear`
    interpolates (scipy's percentile method); `inverted_cdf` takes order statistics, so an
    infinite resample stays infinite (claim tests on ratios)."""
    values = np.asarray(dist, dtype=float)
    values = values[~np.isnan(values)]
    if not values.size:
        return None
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha], method=method)  # type: ignore[call-overload]  # method is one of numpy's names
    return float(lo), float(hi)
