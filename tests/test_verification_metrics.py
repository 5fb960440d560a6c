"""The verification metrics against an oracle written from InsightFace's documented protocol
(per-threshold loop, sklearn KFold without shuffling, 'same' when dist < threshold, first best
threshold), on random and adversarial distances; the ROC metrics against scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import KFold

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import make_metric
from claimbench.harness.metrics.verification import THRESHOLDS, equal_error_rate, kfold_accuracy, tar_at_far


def oracle(dist: np.ndarray, same: np.ndarray, folds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The protocol as InsightFace's verification.py documents it, one threshold at a time."""
    accs, chosen = [], []
    for train, test in KFold(n_splits=folds, shuffle=False).split(np.arange(len(dist))):
        train_acc = [np.mean(np.less(dist[train], t) == same[train]) for t in THRESHOLDS]
        best = int(np.argmax(train_acc))
        chosen.append(THRESHOLDS[best])
        accs.append(np.mean(np.less(dist[test], THRESHOLDS[best]) == same[test]))
    return np.array(accs), np.array(chosen)


def squared_l2_of_random_unit_pairs(rng, n: int, signal: float) -> tuple[np.ndarray, np.ndarray]:
    same = rng.random(n) < 0.5
    a = rng.standard_normal((n, 32))
    b = np.where(same[:, None], a + rng.standard_normal((n, 32)) / signal, rng.standard_normal((n, 32)))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum((a - b) ** 2, axis=1), same


def adversarial_cases():
    rng = np.random.default_rng(7)
    same = np.arange(600) % 2 == 0
    yield "all distances equal", np.full(600, 1.0), same
    yield "all distances zero", np.zeros(600), same
    yield "perfectly separable", np.where(same, 0.5, 1.5), same
    yield "separable with a gap wider than the grid", np.where(same, 0.0, 3.995), same
    yield "distances exactly on grid points", THRESHOLDS[rng.integers(0, 400, 600)], same
    yield "ties across classes on grid points", np.round(rng.integers(90, 110, 600) * 0.01, 2), same
    yield "inverted (same pairs farther)", np.where(same, 3.0, 0.2), same
    yield "n not divisible by 10", *squared_l2_of_random_unit_pairs(rng, 587, 1.0)
    yield "one class per fold", np.linspace(0, 4, 600), np.arange(600) < 300
    yield "distances at and past 4", np.where(same, 3.99, 4.0), same


@pytest.mark.parametrize("signal", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_kfold_accuracy_equals_the_oracle_on_random_embeddings(seed, signal):
    dist, same = squared_l2_of_random_unit_pairs(np.random.default_rng(seed), 1000, signal)
    got = kfold_accuracy(dist, same)
    accs, thresholds = oracle(dist, same)
    assert np.array_equal(got.accuracies, accs)
    assert np.array_equal(got.thresholds, thresholds)


@pytest.mark.parametrize("case", list(adversarial_cases()), ids=lambda c: c[0])
def test_kfold_accuracy_equals_the_oracle_on_adversarial_distances(case):
    _, dist, same = case
    got = kfold_accuracy(dist, same)
    accs, thresholds = oracle(dist, same)
    assert np.array_equal(got.accuracies, accs)
    assert np.array_equal(got.thresholds, thresholds)


def test_ties_go_to_the_smallest_threshold_and_separable_pairs_score_one():
    same = np.arange(600) % 2 == 0
    got = kfold_accuracy(np.where(same, 0.5, 1.5), same)
    assert np.all(got.accuracies == 1.0)
    assert np.allclose(got.thresholds, 0.51)  # the first threshold above every same pair's distance
    flat = kfold_accuracy(np.full(600, 1.0), same)
    assert np.all(flat.thresholds == 0.0) and np.all(flat.accuracies == 0.5)


def run_metric(spec: str, dist, same):
    m = make_metric(spec)
    for d, s in zip(dist, same):
        m.update({"fields": {"distance": float(d), "same": bool(s)}})
    return m.result()


def test_metric_reports_mean_and_std_of_folds_like_insightface():
    dist, same = squared_l2_of_random_unit_pairs(np.random.default_rng(3), 600, 1.0)
    v = run_metric("verification_accuracy", dist, same)
    accs, thresholds = oracle(dist, same)
    assert v.value == pytest.approx(accs.mean(), abs=1e-15)
    assert v.extra["std"] == pytest.approx(accs.std(), abs=1e-15)  # numpy's std, ddof=0, as InsightFace prints
    assert [f["threshold"] for f in v.extra["folds"].values()] == pytest.approx(list(thresholds))
    assert v.n == 600 and v.unit == "rate" and v.metadata.display_name == "verification accuracy"


def test_roc_metrics_agree_with_scikit_learn():
    dist, same = squared_l2_of_random_unit_pairs(np.random.default_rng(4), 5000, 1.0)
    assert run_metric("roc_auc", dist, same).value == pytest.approx(roc_auc_score(same, -dist), abs=1e-15)
    fpr, tpr, _ = roc_curve(same, -dist, drop_intermediate=False)
    for far in (1e-3, 1e-2, 0.1):
        expected = tpr[fpr <= far].max()
        assert run_metric(f"tar_at_far:far={far}", dist, same).value == expected
    eer = run_metric("eer", dist, same).value
    fnr = 1 - tpr
    i = np.argmin(np.abs(fnr - fpr))
    assert abs(eer - (fpr[i] + fnr[i]) / 2) < 2e-3  # the interpolated crossing lies between the nearest points


def test_hand_made_roc_values():
    # distances of same pairs 0.1, 0.2, 0.3; of different pairs 0.25, 0.4, 0.5
    dist = np.array([0.1, 0.2, 0.3, 0.25, 0.4, 0.5])
    same = np.array([True, True, True, False, False, False])
    assert tar_at_far(dist, same, 0.2) == pytest.approx(2 / 3)  # no false accept allowed: 0.1 and 0.2 accepted
    assert tar_at_far(dist, same, 0.34) == pytest.approx(1.0)   # one false accept (0.25) allowed
    assert equal_error_rate(dist, same) == pytest.approx(1 / 3)
    assert equal_error_rate(np.array([0.1, 0.9]), np.array([True, False])) == 0.0


def test_tar_at_a_far_the_pairs_cannot_resolve_says_so():
    dist, same = squared_l2_of_random_unit_pairs(np.random.default_rng(5), 200, 1.0)
    v = run_metric("tar_at_far:far=0.0001", dist, same)
    assert "cannot resolve" in v.extra["warning"] and v.metadata.display_name == "TAR@FAR=0.0001"


@pytest.mark.parametrize("spec,fields,says", [
    ("verification_accuracy", {"distance": float("nan"), "same": True}, "finite number"),
    ("verification_accuracy", {"distance": 0.3, "same": "yes"}, "true or false"),
    ("roc_auc", {"distance": 0.3}, "did not set"),
])
def test_bad_fields_are_named(spec, fields, says):
    with pytest.raises(ConfigError, match=says):
        make_metric(spec).update({"fields": fields})


def test_one_class_only_and_too_few_pairs_are_refused():
    with pytest.raises(ConfigError, match="both same and different"):
        run_metric("roc_auc", [0.1, 0.2], [True, True])
    with pytest.raises(ConfigError, match="at least 10 pairs"):
        run_metric("verification_accuracy", [0.1, 0.2, 0.3], [True, False, True])
    with pytest.raises(ConfigError, match="far must be between 0 and 1"):
        make_metric("tar_at_far:far=2")
