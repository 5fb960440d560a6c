"""Image classification metrics: top-k error, per-class errors with a confusion summary, ECE.

They read what a classification task's process() sets: the prediction is the model's labels,
most likely first; the reference is the gold label; the field `confidence` is the top label's
probability (for calibration).

- `top_k_error:k=1` (and `k=5`): 1 when the gold label is not among the first k predicted,
  per sample, so it has a mean, stderr and bootstrap CI; agrees with 1 - torchmetrics'
  MulticlassAccuracy(top_k=k, average="micro").
- `class_errors`: the top-1 error of each class, their mean (the balanced error; each class
  counts once, whatever its size) as the value, and the most frequent confusions (gold ->
  predicted) with counts.
- `ece:bins=15`: expected calibration error of the top label (equal-width confidence bins,
  L1), with torchmetrics' MulticlassCalibrationError binning (a confidence on a bin edge goes
  to the upper bin; 1.0 has a bin of its own).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from .base import Metric, MetricValue, PerSampleMetric, references
from .groups import sample_field
from .metadata import Column, MetricMetadata, View


def _gold(sample: dict, metric: str) -> Any:
    refs = references(sample)
    if len(refs) != 1:
        raise ConfigError(f"metric {metric!r}: a classified sample has one gold label, got {refs!r}.")
    return refs[0]


def _predicted(sample: dict, metric: str) -> list:
    labels = sample.get("prediction")
    if not isinstance(labels, list) or not labels:
        raise ConfigError(f"metric {metric!r}: the prediction must be the model's labels, most likely first; got {labels!r}.")
    return labels


class TopKError(PerSampleMetric):
    """Top-k error: the share of images whose gold label is not among the k most likely labels."""

    higher_is_better = False

    @dataclass(frozen=True)
    class Options:
        k: int = 1
        by: str = ""

        def __post_init__(self) -> None:
            if self.k < 1:
                raise ConfigError(f"metric 'top_k_error': k must be at least 1, got {self.k}.")

    def metadata(self) -> MetricMetadata:
        meta = super().metadata()
        return MetricMetadata(f"top-{self.options.k} error", meta.description, meta.views, meta.in_tables)

    def score(self, sample: dict) -> float:
        labels = _predicted(sample, self.name)
        if len(labels) < self.options.k:
            raise ConfigError(f"metric {self.name!r}: the model gave {len(labels)} labels; top-{self.options.k} error "
                              f"needs the task to ask for top_k >= {self.options.k}.")
        return float(_gold(sample, self.name) not in labels[: self.options.k])


class ClassErrors(Metric):
    """Per-class top-1 error; the value is their mean (balanced error), with the most frequent confusions."""

    higher_is_better = False
    display_name = "balanced error"
    views = (View("bars", "error per class", "classes", (Column("error", "top-1 error", "rate"), Column("n", "n", "count"))),
             View("table", "most frequent confusions", "confusions",
                  (Column("gold", "gold", "text"), Column("predicted", "predicted", "text"), Column("count", "count", "count"))))

    @dataclass(frozen=True)
    class Options:
        top: int = 10  # confusions listed

    def __init__(self, name: str, options: Any, seed: int = 0):
        super().__init__(name, options, seed)
        self.pairs: Counter
        self.add_state("pairs", Counter(), "sum")

    def update(self, sample: dict) -> None:
        self.pairs[(str(_gold(sample, self.name)), str(_predicted(sample, self.name)[0]))] += 1

    def compute(self) -> MetricValue:
        if not self.pairs:
            raise ConfigError(f"metric {self.name!r}: no sample was scored.")
        seen: Counter = Counter()
        wrong: Counter = Counter()
        for (gold, pred), count in self.pairs.items():
            seen[gold] += count
            wrong[gold] += count * (gold != pred)
        classes = {g: {"error": wrong[g] / seen[g], "n": seen[g]} for g in sorted(seen, key=_natural)}
        errors = [c["error"] for c in classes.values()]
        confused = sorted(((n, g, p) for (g, p), n in self.pairs.items() if g != p), key=lambda t: (-t[0], _natural(t[1]), _natural(t[2])))
        confusions = {f"{g} -> {p}": {"gold": g, "predicted": p, "count": n} for n, g, p in confused[: self.options.top]}
        stderr = float(np.std(errors, ddof=1) / np.sqrt(len(errors))) if len(errors) > 1 else None
        return MetricValue(self.name, float(np.mean(errors)), stderr, None, sum(seen.values()), False,
                           {"classes": classes, "confusions": confusions}, unit="rate")


def _natural(label: str) -> tuple:
    return (0, int(label), "") if label.lstrip("-").isdigit() else (1, 0, label)


class ExpectedCalibrationError(Metric):
    """Expected calibration error of the top label: sum over confidence bins of the bin's share
    of samples times |accuracy - mean confidence| (torchmetrics' L1 definition)."""

    higher_is_better = False
    display_name = "ECE"

    @dataclass(frozen=True)
    class Options:
        bins: int = 15
        confidence: str = "confidence"  # the per-sample field with the top label's probability

        def __post_init__(self) -> None:
            if self.bins < 1:
                raise ConfigError(f"metric 'ece': bins must be at least 1, got {self.bins}.")

    def __init__(self, name: str, options: Any, seed: int = 0):
        super().__init__(name, options, seed)
        self.conf: list[float]
        self.correct: list[bool]
        self.add_state("conf", [], "cat")
        self.add_state("correct", [], "cat")

    def update(self, sample: dict) -> None:
        c = sample_field(sample, self.options.confidence, self.name)
        if not isinstance(c, (int, float)) or not 0 <= c <= 1:
            raise ConfigError(f"metric {self.name!r}: field {self.options.confidence!r} must be a probability, got {c!r}.")
        self.conf.append(float(c))
        self.correct.append(_predicted(sample, self.name)[0] == _gold(sample, self.name))

    def compute(self) -> MetricValue:
        if not self.conf:
            raise ConfigError(f"metric {self.name!r}: no sample was scored.")
        conf, correct = np.array(self.conf), np.array(self.correct, dtype=float)
        edges = np.linspace(0, 1, self.options.bins + 1)
        index = np.searchsorted(edges, conf, side="right") - 1
        count = np.bincount(index, minlength=len(edges))
        acc = np.bincount(index, correct, minlength=len(edges))
        mean_conf = np.bincount(index, conf, minlength=len(edges))
        used = count > 0
        ece = float(np.sum(np.abs(acc[used] - mean_conf[used]) / len(conf)))
        return MetricValue(self.name, ece, None, None, len(conf), False, {"bins": self.options.bins}, unit="rate")
