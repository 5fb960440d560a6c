"""Pair verification metrics (face verification): is a pair of inputs the same identity?

Every metric here reads two per-sample fields that the task's process() sets: a distance
(smaller = more alike) and the pair's label (same or not), in dataset order, and computes a
corpus statistic over all pairs:

- `verification_accuracy`: InsightFace's protocol (its `eval/verification.py`, the de-facto
  reference for LFW, CFP-FP, AgeDB-30, CALFW, CPLFW). The pairs are cut into `folds`
  contiguous folds (scikit-learn's KFold without shuffling); for each fold, the threshold of
  the grid 0, 0.01, ..., 3.99 (`numpy.arange(0, 4, 0.01)`) with the best accuracy on the other
  folds is chosen (ties to the smallest) and the fold is scored with it; a pair is called
  "same" when its distance is strictly below the threshold. The value is the mean of the fold
  accuracies; extra holds their std (numpy's, ddof=0, the "+-" InsightFace prints), each fold's
  accuracy and threshold.
- `tar_at_far:far=1e-3`: the true accept rate at the largest false accept rate not above
  `far`, from scikit-learn's roc_curve over all pairs (score = -distance).
- `roc_auc`: scikit-learn's roc_auc_score (score = -distance).
- `eer`: the equal error rate, where the ROC's false accept rate meets its false reject rate
  (linear interpolation between the two ROC points that bracket it).

The threshold search is vectorised: with the distances of each class sorted once, the counts
below every threshold come from one searchsorted, and a fold's training counts are the
whole set's minus the fold's own. It agrees exactly with the per-threshold loop (same
comparisons, accuracies compared as integer counts), and is much faster (benchmarks/).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError
from .base import Metric, MetricValue
from .groups import sample_field
from .metadata import Column, MetricMetadata, View

THRESHOLDS = np.arange(0, 4, 0.01)  # InsightFace's grid for squared L2 distances of unit vectors


@dataclass(frozen=True)
class Folds:
    """The 10-fold protocol's outcome: each fold's accuracy and chosen threshold."""

    accuracies: np.ndarray
    thresholds: np.ndarray


def correct_below(dist: np.ndarray, same: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold t, how many pairs are classified right when 'same' means dist < t."""
    pos, neg = np.sort(dist[same]), np.sort(dist[~same])
    true_accepts = np.searchsorted(pos, thresholds, side="left")           # same pairs with dist < t
    true_rejects = len(neg) - np.searchsorted(neg, thresholds, side="left")  # different pairs with dist >= t
    return true_accepts + true_rejects


def kfold_accuracy(dist: np.ndarray, same: np.ndarray, folds: int = 10,
                   thresholds: np.ndarray = THRESHOLDS) -> Folds:
    """InsightFace's k-fold verification accuracy (see the module docstring)."""
    dist, same = np.asarray(dist, dtype=np.float64), np.asarray(same, dtype=bool)
    n = len(dist)
    if n < folds:
        raise ConfigError(f"verification accuracy needs at least {folds} pairs for {folds} folds, got {n}.")
    total = correct_below(dist, same, thresholds)
    accs, chosen = np.empty(folds), np.empty(folds)
    for k, test in enumerate(_contiguous_folds(n, folds)):
        fold_correct = correct_below(dist[test], same[test], thresholds)
        best = int(np.argmax(total - fold_correct))  # first maximum: ties go to the smallest threshold
        chosen[k] = thresholds[best]
        accs[k] = fold_correct[best] / len(test)
    return Folds(accs, chosen)


def _contiguous_folds(n: int, folds: int) -> list[np.ndarray]:
    """sklearn.model_selection.KFold(folds, shuffle=False)'s test indices: the first n % folds
    folds hold one pair more."""
    sizes = np.full(folds, n // folds)
    sizes[: n % folds] += 1
    edges = np.concatenate([[0], np.cumsum(sizes)])
    return [np.arange(edges[k], edges[k + 1]) for k in range(folds)]


def roc(dist: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false accept rates, true accept rates) of scikit-learn's roc_curve, score = -distance."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(same, -dist, drop_intermediate=False)
    return fpr, tpr


def tar_at_far(dist: np.ndarray, same: np.ndarray, far: float) -> float:
    fpr, tpr = roc(dist, same)
    return float(tpr[np.searchsorted(fpr, far, side="right") - 1])  # the largest FAR <= far


def equal_error_rate(dist: np.ndarray, same: np.ndarray) -> float:
    fpr, tpr = roc(dist, same)
    fnr = 1 - tpr
    i = int(np.argmax(fpr >= fnr))  # first ROC point where false accepts catch up with false rejects
    if i == 0:
        return float(fpr[0])
    d0, d1 = fnr[i - 1] - fpr[i - 1], fnr[i] - fpr[i]  # d0 > 0 >= d1
    w = d0 / (d0 - d1)
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))


class PairMetric(Metric):
    """Collects (distance, same) per pair, in dataset order; subclasses compute the statistic."""

    statistic: ClassVar[str] = ""

    @dataclass(frozen=True)
    class Options:
        distance: str = "distance"   # the per-sample field with the pair's distance
        label: str = "same"          # the per-sample field saying the pair is one identity

    def __init__(self, name: str, options: Any, seed: int = 0):
        super().__init__(name, options, seed)
        self.dist: list[float]
        self.same: list[bool]
        self.add_state("dist", [], "cat")
        self.add_state("same", [], "cat")

    def update(self, sample: dict) -> None:
        d = sample_field(sample, self.options.distance, self.name)
        s = sample_field(sample, self.options.label, self.name)
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not np.isfinite(d):
            raise ConfigError(f"metric {self.name!r}: field {self.options.distance!r} must be a finite number, got {d!r}.")
        if not isinstance(s, bool):
            raise ConfigError(f"metric {self.name!r}: field {self.options.label!r} must be true or false, got {s!r}.")
        self.dist.append(float(d))
        self.same.append(s)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        dist, same = np.array(self.dist), np.array(self.same, dtype=bool)
        if same.all() or not same.any():
            raise ConfigError(f"metric {self.name!r}: the pairs must include both same and different identities "
                              f"(got {len(same)} pairs, {int(same.sum())} same); check the pairs list's labels.")
        return dist, same

    def value(self, dist: np.ndarray, same: np.ndarray) -> tuple[float, dict]:
        """The statistic and its extra facts (a `stderr` entry, if any, becomes the value's stderr)."""
        raise NotImplementedError

    def compute(self) -> MetricValue:
        dist, same = self.arrays()
        v, extra = self.value(dist, same)
        stderr = extra.pop("stderr", None)
        extra.update(pairs=len(dist), same_pairs=int(same.sum()), statistic=self.statistic)
        return MetricValue(self.name, v, stderr, None, len(dist), self.higher_is_better, extra, unit=self.unit)


class VerificationAccuracy(PairMetric):
    """Verification accuracy by InsightFace's 10-fold protocol: per fold, the threshold best on
    the other folds; the mean of the fold accuracies (extra: std, per-fold accuracy and threshold)."""

    display_name = "verification accuracy"
    statistic = "k-fold accuracy (InsightFace verification.py)"
    views = (View("table", "per fold", "folds", (Column("accuracy", "accuracy", "rate"),
                                                  Column("threshold", "threshold", "number"))),)

    @dataclass(frozen=True)
    class Options(PairMetric.Options):
        folds: int = 10

        def __post_init__(self) -> None:
            if self.folds < 2:
                raise ConfigError(f"metric 'verification_accuracy': folds must be at least 2, got {self.folds}.")

    def value(self, dist: np.ndarray, same: np.ndarray) -> tuple[float, dict]:
        f = kfold_accuracy(dist, same, self.options.folds)
        folds = {str(k + 1): {"accuracy": float(a), "threshold": round(float(t), 2)}
                 for k, (a, t) in enumerate(zip(f.accuracies, f.thresholds))}
        stderr = float(f.accuracies.std(ddof=1) / np.sqrt(len(f.accuracies)))  # across folds: a mean of k estimates
        return float(f.accuracies.mean()), {"std": float(f.accuracies.std()), "folds": folds, "stderr": stderr}


class TarAtFar(PairMetric):
    """True accept rate at a fixed false accept rate (`far`), from scikit-learn's ROC over all pairs."""

    display_name = "TAR@FAR"
    statistic = "sklearn roc_curve, largest FAR <= far"

    @dataclass(frozen=True)
    class Options(PairMetric.Options):
        far: float = 1e-3

        def __post_init__(self) -> None:
            if not 0 < self.far < 1:
                raise ConfigError(f"metric 'tar_at_far': far must be between 0 and 1 (e.g. 1e-3), got {self.far}.")

    def metadata(self) -> MetricMetadata:
        meta = super().metadata()
        return MetricMetadata(f"TAR@FAR={self.options.far:g}", meta.description)

    def value(self, dist: np.ndarray, same: np.ndarray) -> tuple[float, dict]:
        n_diff = int((~same).sum())
        extra = {"far": self.options.far}
        if self.options.far * n_diff < 1:
            extra["warning"] = (f"{n_diff} different-identity pairs cannot resolve FAR {self.options.far:g}: "
                                "the value is the TAR with no false accept at all")
        return tar_at_far(dist, same, self.options.far), extra


class RocAuc(PairMetric):
    """Area under the ROC curve of -distance (scikit-learn's roc_auc_score)."""

    display_name = "ROC AUC"
    unit = "number"
    statistic = "sklearn roc_auc_score"

    def value(self, dist: np.ndarray, same: np.ndarray) -> tuple[float, dict]:
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(same, -dist)), {}


class EqualErrorRate(PairMetric):
    """Equal error rate: where false accepts equal false rejects on the ROC (interpolated)."""

    display_name = "EER"
    higher_is_better = False
    statistic = "sklearn roc_curve, linear interpolation"

    def value(self, dist: np.ndarray, same: np.ndarray) -> tuple[float, dict]:
        return equal_error_rate(dist, same), {}
