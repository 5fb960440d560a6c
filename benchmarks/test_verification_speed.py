"""Verification accuracy speed, side by side with the reference computation in one process:
InsightFace's eval/verification.py `calculate_roc` loops over the 400 thresholds per fold,
scoring the nine training folds at each (and the test fold's TPR/FPR at each, which it reports),
then the test fold at the best one; ours sorts once and reads every threshold's counts with
searchsorted. Same inputs (6,000 LFW-sized pairs), same fold accuracies and thresholds
(asserted), and the ratio printed.
Run: pytest benchmarks/test_verification_speed.py --benchmark-only -s
"""
from __future__ import annotations

import time

import numpy as np

from claimbench.harness.metrics.verification import THRESHOLDS, kfold_accuracy

N = 6000


def insightface_loop(dist: np.ndarray, same: np.ndarray, folds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """calculate_roc's structure: KFold without shuffling, calculate_accuracy per threshold."""
    from sklearn.model_selection import KFold

    def accuracy(threshold, d, s):
        predict = np.less(d, threshold)
        tp, fn = np.sum(predict & s), np.sum(~predict & s)
        fp, tn = np.sum(predict & ~s), np.sum(~predict & ~s)
        tpr = 0 if tp + fn == 0 else tp / (tp + fn)
        fpr = 0 if fp + tn == 0 else fp / (fp + tn)
        return tpr, fpr, (tp + tn) / d.size

    accs, best_thresholds = np.zeros(folds), np.zeros(folds)
    for k, (train, test) in enumerate(KFold(n_splits=folds, shuffle=False).split(np.arange(len(dist)))):
        train_acc = np.array([accuracy(t, dist[train], same[train])[2] for t in THRESHOLDS])
        best = int(np.argmax(train_acc))
        _ = [accuracy(t, dist[test], same[test])[:2] for t in THRESHOLDS]  # the ROC it also reports
        best_thresholds[k] = THRESHOLDS[best]
        accs[k] = accuracy(THRESHOLDS[best], dist[test], same[test])[2]
    return accs, best_thresholds


def test_vectorised_kfold_vs_insightface_loop(benchmark):
    rng = np.random.default_rng(0)
    same = rng.random(N) < 0.5
    dist = np.where(same, rng.normal(0.9, 0.3, N), rng.normal(1.8, 0.3, N)).clip(0, 4)
    t = time.perf_counter()
    ref_accs, ref_thresholds = insightface_loop(dist, same)
    ref_s = time.perf_counter() - t
    ours = benchmark.pedantic(lambda: kfold_accuracy(dist, same), rounds=5, iterations=1)
    ours_s = benchmark.stats.stats.min
    assert np.array_equal(ours.accuracies, ref_accs) and np.array_equal(ours.thresholds, ref_thresholds)
    ratio = ref_s / ours_s
    print(f"\n10-fold verification accuracy on {N:,} pairs: InsightFace's loop {ref_s:.3f} s, ours {ours_s * 1000:.2f} ms, "
          f"ratio {ratio:.0f}x (accuracy {ours.accuracies.mean():.4f})")
    assert ratio >= 10, "the vectorised search must be at least 10x faster than the per-threshold loop"
