"""What a relational claim is tested on: one number per run, recomputable on resampled rows.

A side of a claim (`Side`) picks runs by task spec and model and names what is measured on
them: a metric of the run, or a registered derived quantity (harness.quantities), optionally
restricted to the rows whose field equals a value (`where`). For each run it picks, a
`Statistic` holds the run's row keys and a function of row indices, so a test can resample
rows. Metrics and derived quantities give that function the same way, `prepare(samples)`: a
per-sample metric's mean of its logged scores, the compositionality gap's ratio of per-row
counts, a quantity's own computation. A corpus metric without one (FID) keeps only its value
and its run's own CI, and the tests say when that limits them.
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
from claimbench.harness.metrics.base import logged_mean
from claimbench.harness.quantities import make_quantity
from claimbench.harness.task import metric_specs
from claimbench.reports import samples as sample_logs

from ..entries import Entry, spec_of, without


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
        fn, unit = q.prepare(list(samples)), q.unit
    else:
        m = e.metric(side.metric)
        if m is None:
            raise ConfigError(f"run {e.task_spec} / {e.model_label} has no metric {side.metric!r} "
                              f"(it has {', '.join(sorted(e.result.metrics))}).")
        unit = m.get("unit", "rate")
        fn = _prepared(str(e.path), side.metric)
        if fn is None:
            if side.where:
                raise ConfigError(f"metric {side.metric!r} of {e.task_spec} / {e.model_label} cannot be recomputed per row, "
                                  "so it cannot be restricted with `where`.")
            return Statistic(e, side, m["value"], unit, ci=tuple(m["ci"]) if m.get("ci") else None,
                             why_not=f"{side.metric} has no per-sample scores and cannot be recomputed per row")
    if side.where:
        mask = _mask(samples, side.where, e)
        whole = fn

        def fn(idx: np.ndarray) -> float:
            return whole(idx[mask[idx]])
    return Statistic(e, side, float(fn(np.arange(len(samples)))), unit, keys, fn)


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


@cache
def _prepared(results_path: str, metric: str) -> Callable[[np.ndarray], float] | None:
    """The metric as a function of the run's logged rows, through the metric's own `prepare` (its
    object rebuilt from the run's recorded task config), made once per run and metric; where the
    metric's code is not installed, the mean of the scores the run logged. None: neither exists."""
    samples, _ = _log(results_path)
    if not samples:
        return None
    rebuilt = _rebuild_metric(results.read(results_path).task, metric)
    return rebuilt.prepare(list(samples)) if rebuilt is not None else logged_mean(list(samples), metric)


def _rebuild_metric(task: dict, name: str) -> Metric | None:
    """The run's metric object named `name`, rebuilt from its recorded task config."""
    config = task["config"]
    for spec in metric_specs(config.get("metrics", []), config.get("params", {}), task["name"]):
        try:
            metric = make_metric(spec)
        except ConfigError:  # a plug-in metric not installed here: it cannot be the one asked for
            continue
        if metric.name == name:
            return metric
    return None
