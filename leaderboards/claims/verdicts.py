"""Verdicts on relational claims: holds, contradicted or inconclusive, with the reason.

Each kind reduces to one number per test and its 95% bootstrap CI, held against a region:
- ordering: measure(greater) - measure(less), holds when the CI lies above `margin`,
  contradicted when it lies below;
- parity: measure(a) - measure(b), holds when the CI lies inside [-tolerance, tolerance],
  contradicted when it lies wholly outside;
- threshold: the measure itself against `below` or `above`;
- trend: the least-squares slope of the measure against the axis (log10 of it with `log_x`),
  held against the direction (non_decreasing / non_increasing allow `tolerance` of slope).
Anything else (the CI spans the boundary, too few runs, no run) is inconclusive, saying which.

Rows are resampled jointly across the runs of a test when they share row ids (a paired
bootstrap: the same questions for both methods or both models), and independently when they
do not. A test on runs without per-sample scores (FID) falls back to the runs' own CIs, and a
trend on them to Kendall's tau with its exact one-sided p-value.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.stats import CONFIDENCE, N_RESAMPLES, bootstrap_distribution, percentile_interval
from claimbench.reports.formatting import fmt, fmt_ci

from ..entries import Entry, as_number, spec_of, without
from .evidence import Side, Statistic, measure

HOLDS, CONTRADICTED, INCONCLUSIVE, OUT_OF_SCOPE = "holds", "contradicted", "inconclusive", "out of scope"


@dataclass
class Test:
    """One test of a claim: on one model, one series or one run."""

    scope: str
    stats: list[Statistic]
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    status: str = INCONCLUSIVE
    reason: str = ""
    method: str = ""
    xs: list[float] = field(default_factory=list)          # a trend's axis values, one per stat
    side_cis: list[tuple[float, float] | None] = field(default_factory=list)

    @property
    def runs(self) -> list[Entry]:
        return list({id(s.entry): s.entry for s in self.stats}.values())


@dataclass
class Verdict:
    claim: object          # claims.Relation
    tests: list[Test]
    status: str
    reason: str

    @property
    def models(self) -> list[str]:
        """The scope of our verdict: the models whose runs were tested."""
        return sorted({e.model_label for t in self.tests for e in t.runs})

    @property
    def transfer(self) -> str:
        """Where the claim is tested beyond the paper's own scope (another dataset), or ''."""
        return self.claim.transfer

    @property
    def upper_bound(self) -> bool:
        """Some tested run searched with a diagnostic engine reading gold data (the oracle): the
        verdict tests an upper bound of the method, not the paper's claim with its real engine."""
        return any(e.upper_bound for t in self.tests for e in t.runs)


def evaluate(relation, entries: list[Entry], seed: int = 0) -> Verdict:
    """The claim's tests on the runs present, and the overall verdict: contradicted if any test
    is, holds if every test holds, inconclusive otherwise."""
    tests = _TESTS[relation.kind](relation, entries, seed)
    if not tests:
        return Verdict(relation, [], INCONCLUSIVE, "no run to test: " + _missing(relation, entries))
    statuses = {t.status for t in tests if t.status != OUT_OF_SCOPE}
    if not statuses:  # every run lies outside what the claim is about: never a contradiction
        status = OUT_OF_SCOPE
    else:
        status = CONTRADICTED if CONTRADICTED in statuses else HOLDS if statuses == {HOLDS} else INCONCLUSIVE
    deciding = [t for t in tests if t.status == status]
    return Verdict(relation, tests, status, "; ".join(f"{t.scope}: {t.reason}" for t in deciding))


def _missing(relation, entries: list[Entry]) -> str:
    """Each side and how many runs it picks (a side may have runs that pair with none of the other's)."""
    axis = relation.axis or None
    def count(side: Side) -> str:
        n = sum(side.picks(e, axis) for e in entries)
        return f"{n} run{'s' if n != 1 else ''}" if n else "none present"
    return "; ".join(f"{name} = {side.describe()} ({count(side)})" for name, side in relation.sides.items())


def _measured(sides: list[Side], runs: list[Entry], scope: str) -> Test | list[Statistic]:
    """Each side measured on its run, or an inconclusive Test saying why one cannot be (a run that
    lacks the measure, or runs of one task under different protocol versions)."""
    versions = {(e.task_name, e.result.task["version"]) for e in runs}
    if len(versions) > len({name for name, _ in versions}):
        return Test(scope, [], reason="runs of one task under different versions of its protocol "
                                      f"({', '.join(sorted(f'{n} v{v}' for n, v in versions))}); rerun (or rescore) the older one")
    try:
        return [measure(side, e) for side, e in zip(sides, runs)]
    except ConfigError as err:
        return Test(scope, [], reason=f"cannot measure: {err}")


# --- resampling -------------------------------------------------------------------------

def resample(stats: list[Statistic], combine: Callable[[np.ndarray], float], seed: int,
             n_resamples: int = N_RESAMPLES) -> tuple[float, tuple[float, float] | None, str, list]:
    """combine(each stat's value) and its percentile CI, resampling rows jointly where the runs
    share row keys (paired) and independently where not (harness.stats, scipy's bootstrap).
    Returns (value, ci, how, side CIs)."""
    runs = {id(s.entry): s for s in stats}
    common = set(stats[0].keys)
    for s in stats[1:]:
        common &= set(s.keys)
    if len(common) >= 2:
        order = [k for k in stats[0].keys if k in common]
        index = {id(s.entry): _positions(s.keys, order) for s in runs.values()}

        def sides(rows: np.ndarray) -> np.ndarray:
            return np.array([s.at(index[id(s.entry)][rows]) for s in stats])
        value = combine(sides(np.arange(len(order))))
        dist = bootstrap_distribution(sides, [len(order)], seed=seed, n_resamples=n_resamples)
        how = (f"bootstrap over the run's {len(order):,} rows" if len(runs) == 1 else
               f"paired bootstrap over {len(order):,} rows the runs share")
    else:
        value = combine(np.array([s.value for s in stats]))
        ids = list(runs)

        def each(*rows: np.ndarray) -> np.ndarray:
            draw = dict(zip(ids, rows))
            return np.array([s.at(draw[id(s.entry)]) for s in stats])
        dist = bootstrap_distribution(each, [len(runs[k].keys) for k in ids], seed=seed, n_resamples=n_resamples)
        how = "independent bootstrap of each run's rows (the runs share no row ids)"
    combined = np.array([combine(row) for row in dist])
    defined = combined[~np.isnan(combined)]
    side_cis = [percentile_interval(dist[:, j], method="inverted_cdf") for j in range(len(stats))]
    how += f", {n_resamples:,} resamples"
    if defined.size < n_resamples:
        how += f" ({n_resamples - defined.size} undefined, left out)"
    return value, percentile_interval(defined, method="inverted_cdf"), how, side_cis


def _positions(keys: list[str], order: list[str]) -> np.ndarray:
    where = {k: i for i, k in enumerate(keys)}
    return np.array([where[k] for k in order])


def _judge(test: Test, holds: Callable[[float, float], bool], contradicted: Callable[[float, float], bool],
           boundary: str, *values: float) -> Test:
    """Set the test's verdict from its CI; `boundary` words the region, `{}` standing for `values`
    (shown, like the CI, in the measure's unit as reports show it: a rate in percent)."""
    if test.ci is None:
        test.status, test.reason = INCONCLUSIVE, test.reason or "no confidence interval"
        return test
    unit = test.stats[0].unit if test.stats else "number"
    lo, hi = test.ci
    ci = f"95% CI {fmt_ci(unit, test.ci)}"
    where = boundary.format(*(fmt(unit, v) for v in values))
    if holds(lo, hi):
        test.status, test.reason = HOLDS, f"{ci} clears {where}"
    elif contradicted(lo, hi):
        test.status, test.reason = CONTRADICTED, f"{ci} lies on the wrong side of {where}"
    else:
        test.status, test.reason = INCONCLUSIVE, f"{ci} spans {where}"
    return test


def _difference(test: Test, seed: int) -> Test:
    """estimate and CI of stats[0] - stats[1]: resampled, else from the runs' own CIs."""
    a, b = test.stats
    if a.resamplable and b.resamplable:
        test.estimate, test.ci, test.method, test.side_cis = resample(test.stats, lambda v: v[0] - v[1], seed)
        return test
    test.estimate = None if a.value is None or b.value is None else a.value - b.value
    test.side_cis = [a.ci, b.ci]
    if a.ci and b.ci:  # conservative: the extremes of the two intervals
        test.ci = (a.ci[0] - b.ci[1], a.ci[1] - b.ci[0])
        test.method = "the runs' own 95% CIs (no per-sample scores to pair): their widest difference"
    else:
        lacking = "; ".join(s.why_not for s in test.stats if not s.resamplable and not s.ci)
        test.reason = f"no per-sample scores or CI to test the difference ({lacking})"
    return test


# --- pairing runs to sides ------------------------------------------------------------------

def _pairs(first: Side, second: Side, entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """(run of first, run of second) that agree on whatever either side leaves free."""
    out = []
    for a in (e for e in entries if first.picks(e)):
        for b in (e for e in entries if second.picks(e)):
            if (first.task is None or second.task is None) and a.task_spec != b.task_spec:
                continue
            if (first.model is None or second.model is None) and a.model_label != b.model_label:
                continue
            out.append((a, b))
    return out


def _scope(a: Entry, b: Entry) -> str:
    if a is b:
        return f"{a.model_label} on {a.task_spec}"
    parts = [a.model_label if a.model_label == b.model_label else f"{a.model_label} vs {b.model_label}"]
    parts.append(a.task_spec if a.task_spec == b.task_spec else f"{a.task_spec} vs {b.task_spec}")
    return " on ".join(parts)


def _two_sided(relation, entries: list[Entry], seed: int, first: str, second: str,
               holds: Callable, contradicted: Callable, boundary: str, value: float) -> list[Test]:
    sides = [relation.sides[first], relation.sides[second]]
    tests = []
    for a, b in _pairs(*sides, entries):
        measured = _measured(sides, [a, b], _scope(a, b))
        if isinstance(measured, Test):
            tests.append(measured)
            continue
        test = _difference(Test(_scope(a, b), measured), seed)
        tests.append(_judge(test, holds, contradicted, boundary, value))
    return tests


def ordering(relation, entries: list[Entry], seed: int) -> list[Test]:
    m = relation.margin
    return _two_sided(relation, entries, seed, "greater", "less", lambda lo, hi: lo > m, lambda lo, hi: hi < m,
                      "a difference of {}", m)


def parity(relation, entries: list[Entry], seed: int) -> list[Test]:
    t = relation.tolerance
    return _two_sided(relation, entries, seed, "a", "b", lambda lo, hi: -t <= lo and hi <= t,
                      lambda lo, hi: lo > t or hi < -t, "the band ±{}", t)


def threshold(relation, entries: list[Entry], seed: int) -> list[Test]:
    side, below, above = relation.sides["side"], relation.below, relation.above
    if below is not None:
        rules = (lambda lo, hi: hi < below, lambda lo, hi: lo >= below, "the bound {} (below)", below)
    else:
        rules = (lambda lo, hi: lo > above, lambda lo, hi: hi <= above, "the bound {} (above)", above)
    tests = []
    for e in (e for e in entries if side.picks(e)):
        measured = _measured([side], [e], _scope(e, e))
        if isinstance(measured, Test):
            tests.append(measured)
            continue
        test = Test(_scope(e, e), measured)
        (s,) = measured
        if s.resamplable:
            test.estimate, test.ci, test.method, test.side_cis = resample(measured, lambda v: v[0], seed)
        else:
            test.estimate, test.ci, test.method = s.value, s.ci, "the run's own 95% CI"
            test.reason = "" if s.ci else f"no per-sample scores or CI ({s.why_not})"
        tests.append(_judge(test, *rules))
    return tests


def trend(relation, entries: list[Entry], seed: int) -> list[Test]:
    side, axis = relation.sides["runs"], relation.axis
    series: dict[str, list[tuple[float, Entry]]] = {}
    for e in (e for e in entries if side.picks(e, axis=axis)):
        x = axis_value(e, axis)
        if x is None or (relation.log_x and x <= 0):
            continue
        # a claim about models growing is about one family: sizes are compared within a family
        # and a backend, never across them
        key = (f"{e.task_spec}, {e.family} on {e.backend}" if axis == "parameters"
               else f"{without(e.model, axis)} on {without(spec_of(e.task_spec), axis)}")
        series.setdefault(key, []).append((math.log10(x) if relation.log_x else x, e))
    tests = []
    for key, points in sorted(series.items()):
        points.sort(key=lambda p: p[0])
        if len({x for x, _ in points}) < 2:
            if axis == "parameters":
                tests.append(Test(key, [], status=OUT_OF_SCOPE,
                                  reason=f"one size only ({', '.join(sorted({e.model_label for _, e in points}))}): the claim "
                                         "is about models of one family growing, and runs of other families or backends "
                                         "do not make a series"))
            else:
                tests.append(Test(key, [], reason=f"too few runs: {len(points)} point(s) along {axis}, 2 needed"))
            continue
        measured = _measured([side] * len(points), [e for _, e in points], key)
        if isinstance(measured, Test):
            tests.append(measured)
            continue
        test = Test(key, measured, xs=[x for x, _ in points])
        tests.append(_slope_test(relation, test, seed))
    return tests


def _slope_test(relation, test: Test, seed: int) -> Test:
    xs = np.array(test.xs)
    weights = (xs - xs.mean()) / ((xs - xs.mean()) ** 2).sum()  # least-squares slope = weights . y
    per = f"per decade of {relation.axis}" if relation.log_x else f"per unit of {relation.axis}"
    direction, t = relation.direction, relation.tolerance
    if all(s.resamplable for s in test.stats):
        test.estimate, test.ci, test.method, test.side_cis = resample(test.stats, lambda v: float(weights @ v), seed)
        test.method = f"least-squares slope {per}; {test.method}"
        rules = {"increasing": (lambda lo, hi: lo > 0, lambda lo, hi: hi < 0, "a slope of {}", 0.0),
                 "decreasing": (lambda lo, hi: hi < 0, lambda lo, hi: lo > 0, "a slope of {}", 0.0),
                 "non_decreasing": (lambda lo, hi: lo >= -t, lambda lo, hi: hi < -t, "a slope of {}", -t),
                 "non_increasing": (lambda lo, hi: hi <= t, lambda lo, hi: lo > t, "a slope of {}", t)}
        return _judge(test, *rules[direction])
    return _rank_trend(test, direction, weights)


def _rank_trend(test: Test, direction: str, weights: np.ndarray) -> Test:
    """Kendall's tau of the measure against the axis, with its exact p-value (no per-sample scores)."""
    from scipy.stats import kendalltau

    ys = [s.value for s in test.stats]
    test.side_cis = [s.ci for s in test.stats]
    test.estimate = float(weights @ np.array(ys))
    tau, p_two = kendalltau(test.xs, ys, method="exact" if len(ys) <= 50 else "auto")
    up = direction in ("increasing", "non_decreasing")
    p = p_two / 2 if (tau > 0) == up else 1 - p_two / 2
    p_against = 1 - p
    alpha = (1 - CONFIDENCE) / 2
    test.method = (f"Kendall's tau over {len(ys)} runs (no per-sample scores to resample): tau = {tau:+.3f}, "
                   f"one-sided exact p = {p:.3g}")
    if p < alpha:
        test.status, test.reason = HOLDS, f"tau {tau:+.3f}, p = {p:.3g} < {alpha:.3g}"
    elif p_against < alpha:
        test.status, test.reason = CONTRADICTED, f"tau {tau:+.3f} goes the other way, p = {p_against:.3g} < {alpha:.3g}"
    else:
        smallest = 1 / math.factorial(len(ys))
        test.status = INCONCLUSIVE
        test.reason = (f"tau {tau:+.3f}, p = {p:.3g} >= {alpha:.3g}"
                       + (f" (with {len(ys)} runs no order can reach p < {alpha:.3g}: the smallest is {smallest:.3g})"
                          if smallest >= alpha else ""))
    return test


def axis_value(e: Entry, axis: str) -> float | None:
    if axis == "parameters":
        return e.parameters
    for spec in (spec_of(e.task_spec), e.model):
        value = dict(spec.options).get(axis)
        if value is not None:
            return as_number(value)
    return None


_TESTS = {"ordering": ordering, "parity": parity, "threshold": threshold, "trend": trend}
