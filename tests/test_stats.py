import numpy as np
import pytest
from scipy import stats as sps

from claimbench.harness.errors import ConfigError
from claimbench.harness.stats import bootstrap_ci, estimate, mean_stderr, paired_bootstrap


def test_mean_and_stderr_match_scipy():
    x = np.random.default_rng(1).normal(size=50)
    m, se = mean_stderr(x)
    assert m == pytest.approx(x.mean())
    assert se == pytest.approx(sps.sem(x))


def test_bootstrap_ci_equals_scipy_with_same_seed():
    x = np.random.default_rng(2).integers(0, 2, 200).astype(float)
    ours = bootstrap_ci(x, seed=7)
    ref = sps.bootstrap((x,), np.mean, n_resamples=1000, method="percentile", confidence_level=0.95,
                        random_state=np.random.default_rng(7)).confidence_interval
    assert ours == pytest.approx((ref.low, ref.high))
    assert ours[0] < x.mean() < ours[1]


def test_degenerate_and_tiny_samples():
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    assert bootstrap_ci([0.5]) is None
    e = estimate([1.0])
    assert (e.value, e.stderr, e.ci, e.n) == (1.0, None, None, 1)
    with pytest.raises(ConfigError, match="NaN"):
        estimate([1.0, float("nan")])


def test_paired_bootstrap_detects_a_consistent_improvement():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, 300).astype(float)
    new = base.copy()
    flip = rng.choice(np.flatnonzero(base == 0), 30, replace=False)
    new[flip] = 1.0  # 30 of 300 samples improve, none regress
    d = paired_bootstrap(base, new, seed=0)
    assert d.value == pytest.approx(0.1)
    assert d.ci[0] > 0  # significant, although the unpaired CIs overlap
    b, n = estimate(base), estimate(new)
    assert b.ci[1] > n.ci[0]
    same = paired_bootstrap(base, base)
    assert same.value == 0 and same.ci == (0.0, 0.0)
    with pytest.raises(ConfigError, match="pair them"):
        paired_bootstrap(base, new[:-1])
