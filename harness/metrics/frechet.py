"""Gaussian statistics of feature vectors and the Frechet distance between two of them (FID).

FID = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2).  clean-fid, pytorch-fid and
torch-fidelity take tr sqrt(S1 S2) from scipy's `sqrtm` of the non-symmetric product
(a complex Schur decomposition, tens of seconds at 2048-d on 2 cores). Here the same
trace comes from a factorisation and one symmetric eigendecomposition: with A = S1^(1/2),
tr sqrt(S1 S2) = tr sqrt(A S2 A), and A S2 A is symmetric positive semi-definite, so its
square-root trace is the sum of the square roots of its (clipped) eigenvalues. Any F
with F F^T = S1 serves in place of A: a Cholesky factor (cheap) when S1 is positive
definite, the eigendecomposition's when it is rank-deficient. That is faster, needs no
complex arithmetic and no `eps` retry, and stays real on small sample sets.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError


def _factor(s: np.ndarray) -> np.ndarray:
    """F with F @ F.T == s: Cholesky when s is positive definite, else the PSD square root."""
    try:
        return np.linalg.cholesky(s)
    except np.linalg.LinAlgError:  # rank-deficient (fewer samples than dimensions)
        w, v = np.linalg.eigh(s)
        return v * np.sqrt(np.clip(w, 0, None))


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr sqrt(sigma1 @ sigma2) for symmetric PSD matrices: F.T sigma2 F has the eigenvalues of sigma2 sigma1."""
    f = _factor(sigma1)
    m = f.T @ sigma2 @ f
    w = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(w, 0, None)).sum())


def _check(name: str, mu: np.ndarray, sigma: np.ndarray) -> None:
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise DataError(f"{name}: mean has shape {mu.shape} and covariance {sigma.shape}; expected (d,) and (d, d).")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise DataError(f"{name}: statistics contain NaN or inf; check the features they came from.")


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    _check("first statistics", mu1, sigma1)
    _check("second statistics", mu2, sigma2)
    if mu1.shape != mu2.shape:
        raise DataError(f"feature sizes differ: {mu1.size} vs {mu2.size}; both sets must come from the same feature network.")
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2))


@dataclass
class GaussianStats:
    """Running sums of features (float64), as torchmetrics keeps them: add batches, read mean/cov."""

    dim: int
    n: int = 0
    total: np.ndarray | None = None
    outer: np.ndarray | None = None

    def update(self, feats) -> None:
        f = np.asarray(feats, np.float64)
        if f.ndim != 2 or f.shape[1] != self.dim:
            raise DataError(f"features have shape {f.shape}; expected (n, {self.dim}) from one feature network.")
        if not np.isfinite(f).all():
            bad = int((~np.isfinite(f).all(axis=1)).sum())
            raise DataError(f"{bad} of {len(f)} feature vectors contain NaN or inf; check the images and the feature network.")
        if self.total is None or self.outer is None:
            self.total, self.outer = np.zeros(self.dim), np.zeros((self.dim, self.dim))
        self.n += len(f)
        self.total += f.sum(0)
        self.outer += f.T @ f

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and unbiased covariance (ddof=1, as np.cov); warns when the covariance is rank-deficient."""
        if self.n < 2 or self.total is None or self.outer is None:
            raise DataError(f"FID needs at least 2 samples per set, got {self.n}.")
        if self.n <= self.dim:
            warnings.warn(f"{self.n} samples for {self.dim}-d features: the covariance is rank-deficient and FID is biased "
                          "upward; compare FIDs only at equal sample counts (the usual protocol uses 10k-50k).", stacklevel=2)
        mu = self.total / self.n
        return mu, (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)

    @classmethod
    def of(cls, feats) -> GaussianStats:
        f = np.asarray(feats)
        if f.ndim != 2:
            raise DataError(f"features have shape {f.shape}; expected (n, d).")
        s = cls(f.shape[1])
        s.update(f)
        return s


def load_npz_stats(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) from a clean-fid / pytorch-fid statistics file (.npz with `mu` and `sigma`)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"statistics file {str(p)!r} does not exist.")
    with np.load(p) as z:
        if "mu" not in z or "sigma" not in z:
            raise DataError(f"statistics file {str(p)!r} has keys {sorted(z.files)}; expected 'mu' and 'sigma' (clean-fid's format).")
        mu, sigma = z["mu"].astype(np.float64), z["sigma"].astype(np.float64)
    _check(str(p), mu, sigma)
    return mu, sigma
