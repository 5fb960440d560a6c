"""What a relational claim is tested on: one number per run, recomputable on resampled rows.

A side of a claim (`Side`) picks runs by task spec and model and names what is measured on
them: a metric of the run, or a registered derived quantity (harness.quantities), optionally
restricted to the rows whose field equals a value (`where`). For each run it picks, a
`Statistic` holds the run's row keys and a function of row indices, so a test can resample
rows: per-sample scores from the log (a mean), a ratio metric's per-sample terms (the
compositionality gap), or a quantity's prepared function. A corpus metric with neither
(FID) keeps only its value and its run's own CI, and the tests say when that limits them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from claimbench.harness import results
from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import Metric, make_metric
from claimbench.harness.quantities import make_quantity
from claimbench.harness.task import metric_specs
from claimbench.reports import samples as sample_logs

from .entries import Entry, spec_of, without


@dataclass(frozen=True)
class Side:
    """Which runs, and what on them. Fields left None are free: a test pairs runs that agree on them."""

    task: str | None = None
    model: str | None = None
    metric: str | None = None
    quantity: str | None = None
    where: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_yaml(cls, raw: dict, metric: str | None, quantity: str | None) -> Side:
        return cls(raw.get("task"), raw.get("model"), raw.get("metric", metric if "quantity" not in raw else None),
                   raw.get("quantity", quantity if "metric" not in raw else None),
                   tuple(sorted((raw.get("where") or {}).items())))

    @property
    def measures(self) -> str:
        what = self.metric or self.quantity or "?"
        return what + "".join(f"[{k}={v}]" for k, v in self.where)

    def describe(self) -> str:
        parts = [self.measures]
        if self.task:
            parts.append(f"on {self.task}")
        if self.model:
            parts.append(f"by {self.model}")
        return " ".join(parts)

    def picks(self, e: Entry, axis: str | None = None) -> bool:
        """Whether run `e` is one of this side's (its specs compared without option `axis`, a trend's)."""
        if self.task is not None and _spec_text(self.task, axis) != _spec_text(e.task_spec, axis):
            return False
        if self.model is not None and _spec_text(self.model, axis) != _spec_text(e.model_label, axis):
            return False
        return True


def _spec_text(text: str, axis: str | None) -> str:
    spec = spec_of(text)
    return without(type(spec)(spec.name, tuple(sorted(spec.options))), axis or "")


@dataclass
class Statistic:
    """One side measured on one run: its value, and (when resamplable) its rows and a function of row indices."""

    entry: Entry
    side: Side
    value: float | None
    unit: str                                    # "rate" (shown in percent) or "number"
    keys: list[tuple[str, int]] | None = None    # row keys (sample_logs.row_keys), when resamplable
    at: Callable[[np.ndarray], float] | None = None
    ci: tuple[float, float] | None = None        # the run's own CI (used only when not resamplable)
    why_not: str = ""                            # why it cannot be resampled

    @property
    def resamplable(self) -> bool:
        return self.at is not None


def measure(side: Side, e: Entry) -> Statistic:
    """The side's number on run `e`, resamplable where the run's log allows; ConfigError when the
    run does not have what the side measures."""
    samples, keys = _log(str(e.path))
    if side.quantity:
        if not samples:
            raise ConfigError(f"{e.path}: no samples log beside it, and quantity {side.quantity!r} is computed from samples.")
        q = make_quantity(side.quantity)
        fn = q.prepare(list(samples))
        mask = _mask(samples, side.where, e) if side.where else None
        at = (lambda idx: fn(idx[mask[idx]])) if side.where else fn
        return Statistic(e, side, float(at(np.arange(len(samples)))), q.unit, keys, at)
    m = e.metric(side.metric)
    if m is None:
        raise ConfigError(f"run {e.task_spec} / {e.model_label} has no metric {side.metric!r} "
                          f"(it has {', '.join(sorted(e.result.metrics))}).")
    unit = m.get("unit", "rate")
    terms = _terms(e, side.metric)
    if terms is None:
        if side.where:
            raise ConfigError(f"metric {side.metric!r} of {e.task_spec} / {e.model_label} has no per-sample terms, "
                              "so it cannot be restricted with `where`.")
        return Statistic(e, side, m["value"], unit, ci=tuple(m["ci"]) if m.get("ci") else None,
                         why_not=f"{side.metric} has no per-sample scores or terms")
    num, den = terms
    if side.where:
        mask = _mask(samples, side.where, e)
        num, den = num * mask, den * mask

    def ratio(idx: np.ndarray) -> float:
        d = den[idx].sum()
        return float(num[idx].sum() / d) if d > 0 else float("nan")
    return Statistic(e, side, ratio(np.arange(len(keys))), unit, keys, ratio)


@cache
def _log(results_path: str) -> tuple[tuple[dict, ...], list[tuple[str, int]]]:
    """A run's logged samples and their row keys, read once per process."""
    samples = tuple(results.read_samples(Path(results_path).parent))
    return samples, sample_logs.row_keys(list(samples))


def _mask(samples: tuple[dict, ...], where: tuple[tuple[str, Any], ...], e: Entry) -> np.ndarray:
    for field, _ in where:
        if not any(field in s.get("fields", {}) for s in samples):
            raise ConfigError(f"run {e.task_spec} / {e.model_label}: no sample has the field {field!r} that `where` names.")
    return np.array([all(_same(s.get("fields", {}).get(f), v) for f, v in where) for s in samples], dtype=bool)


def _same(value: Any, wanted: Any) -> bool:
    """Field values compare as numbers when both are (1.0 == true == 1), else as text."""
    if isinstance(value, (bool, int, float)) and isinstance(wanted, (bool, int, float)):
        return float(value) == float(wanted)
    return value is not None and str(value) == str(wanted)


_TERMS: dict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = {}  # (results.json, metric) -> terms


def _terms(e: Entry, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row (numerator, denominator) of the metric, computed once per run and metric."""
    key = (str(e.path), metric)
    if key not in _TERMS:
        _TERMS[key] = _read_terms(e, metric)
    return _TERMS[key]


def _read_terms(e: Entry, metric: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A logged per-sample score s as (s, 1) and an unscored row as (0, 0); a ratio metric's terms
    from replaying its logged samples. None: the run has no log, or the metric is neither."""
    samples, _ = _log(str(e.path))
    scores = [s.get("scores", {}).get(metric) for s in samples]
    if any(isinstance(v, (int, float)) for v in scores):
        num = np.array([float(v) if isinstance(v, (int, float)) else 0.0 for v in scores])
        return num, np.array([1.0 if isinstance(v, (int, float)) else 0.0 for v in scores])
    rebuilt = _rebuild_metric(e, metric) if samples else None
    if rebuilt is None or type(rebuilt).terms is Metric.terms:
        return None
    pairs = [rebuilt.terms(s) if "error" not in s else (0.0, 0.0) for s in samples]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _rebuild_metric(e: Entry, name: str) -> Metric | None:
    """The run's metric object named `name`, rebuilt from its recorded task config."""
    config = e.result.task["config"]
    for spec in metric_specs(config.get("metrics", []), config.get("params", {}), e.task_name):
        try:
            metric = make_metric(spec)
        except ConfigError:  # a plug-in metric not installed here: it cannot be the one asked for
            continue
        if metric.name == name:
            return metric
    return None
