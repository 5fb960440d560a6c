"""Metrics in the torchmetrics shape: `update(sample)` per scored sample, `compute()` at the end.

A metric declares what it accumulates (`add_state`, as torchmetrics does: `cat` lists one
entry per sample, `sum` adds), so shards of a run merge (`merge`) into exactly what one metric
fed every sample would hold. A per-sample metric scores each sample (the score is logged in
samples.jsonl) and aggregates to mean, stderr and a bootstrap CI; corpus metrics (FID,
verification) subclass Metric directly. `prepare(samples)` gives a metric's value as a function
of row indices into a run's logged samples, the one way claims resample a metric or a derived
quantity (harness/quantities.py); a metric that cannot be recomputed per row returns None.
Metrics are registered under the `claimbench.metrics` entry-point group and referenced by name
(or `name:k=v`) in task configs. Each describes itself (`metadata()`, see metadata.py);
`result()` is compute() with that description attached, which is what results.json records.
"""
from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from .. import registry
from ..errors import ConfigError
from ..options import Spec, build, parse_spec
from ..stats import estimate
from .groups import Groups
from .metadata import MetricMetadata, View

REDUCTIONS = ("cat", "sum")


@dataclass
class MetricValue:
    name: str
    value: float | None  # None only where the metric is undefined (e.g. a gap with no pair right)
    stderr: float | None
    ci: tuple[float, float] | None
    n: int
    higher_is_better: bool
    extra: dict[str, Any] = field(default_factory=dict)
    unit: str = "rate"   # how reports show it (metadata.UNITS): "rate" in percent, "number" as measured
    metadata: MetricMetadata | None = None

    def to_json(self) -> dict:
        out = {"value": self.value, "stderr": self.stderr, "ci": list(self.ci) if self.ci else None,
               "n": self.n, "higher_is_better": self.higher_is_better, "unit": self.unit, "extra": self.extra}
        if self.metadata is not None:
            out["metadata"] = self.metadata.to_json()
        return out


class Metric(ABC):
    """Accumulates state over samples; `Options` (a dataclass) holds its parameters."""

    higher_is_better: ClassVar[bool] = True
    unit: ClassVar[str] = "rate"  # "rate" (a share, shown in percent) or "number" (shown as measured)
    display_name: ClassVar[str] = ""        # default: the metric's name
    views: ClassVar[tuple[View, ...]] = ()  # what reports and the leaderboard draw from its result
    comparable_on: ClassVar[str] = ""       # an extra key two values must share to compare
    unnamed_options: ClassVar[tuple[str, ...]] = ()  # options that change no value, left out of its name
    variant_words: ClassVar[dict[str, str]] = {}  # a `variant` option's values, each in a sentence (reports tell them apart)
    # what the task's per-sample fields mean, {field: (name, sentence)}: given by the task (TaskHooks.fields)
    # to the metrics it makes, so a metric of a field (mean:field=...) can say what it measures
    field_words: dict[str, tuple[str, str]] = {}

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, name: str, options: Any, seed: int = 0):
        self.name, self.options, self.seed = name, options, seed
        self._reductions: dict[str, str] = {}

    def add_state(self, name: str, default: Any, reduce: str) -> None:
        """Declare an accumulator: `cat` (a list, one entry per sample, concatenated across shards)
        or `sum` (a number, array or Counter, added)."""
        if reduce not in REDUCTIONS:
            raise ValueError(f"metric {self.name!r}: state {name!r} reduces by {reduce!r}, not one of {REDUCTIONS}")
        self._reductions[name] = reduce
        setattr(self, name, copy.deepcopy(default))

    def merge(self, other: Metric) -> Metric:
        """Fold in the state of `other` (the same metric, fed later samples): afterwards this metric
        holds what one metric fed both shards' samples in order would hold."""
        if type(other) is not type(self) or other.options != self.options:
            raise ConfigError(f"metric {self.name!r} cannot merge {other.name!r}: shards must be the same metric and options.")
        for name, reduce in self._reductions.items():
            mine, theirs = getattr(self, name), getattr(other, name)
            if reduce == "cat":
                mine.extend(theirs)
            else:
                setattr(self, name, mine + theirs)
        return self

    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float] | None:
        """The metric's value as a function of indices into a run's logged `samples` (repeats allowed:
        a bootstrap resample), or None where no per-row recomputation exists (FID, verification)."""
        return None

    @abstractmethod
    def update(self, sample: dict) -> float | None:
        """Take one scored sample; return its per-sample score if the metric has one."""

    @abstractmethod
    def compute(self) -> MetricValue:
        """The aggregate over everything seen so far."""

    def metadata(self) -> MetricMetadata:
        """How this metric is named, explained and drawn; override where options change it. A
        `variant` other than the default is named after the display name and said in words."""
        doc = " ".join((type(self).__doc__ or "").strip().split("\n\n")[0].split())
        name = self.display_name or self.name
        variant = getattr(self.options, "variant", None)
        if variant in self.variant_words:
            default = type(self.options).__dataclass_fields__["variant"].default
            name += "" if variant == default else f" ({variant})"
            doc = f"{doc} Variant {variant!r}: {self.variant_words[variant]}"
        return MetricMetadata(name, doc, self.views, comparable_on=self.comparable_on)

    def result(self) -> MetricValue:
        """compute() with the metric's metadata attached: what results.json records."""
        value = self.compute()
        value.metadata = self.metadata()
        return value


class PerSampleMetric(Metric):
    """Mean of a per-sample score, with stderr and a bootstrap CI; a metric whose Options has
    `by` (a field the task's process() sets) also reports each group's (groups.py). `by` changes
    no value, so it stays out of the metric's name: claims and tables say `anls`, not `anls:by=...`."""

    unnamed_options: ClassVar[tuple[str, ...]] = ("by",)

    def __init__(self, name: str, options: Any, seed: int = 0):
        super().__init__(name, options, seed)
        self.values: list[float]
        self.group_keys: list[tuple[str, ...]]
        self.add_state("values", [], "cat")
        self.add_state("group_keys", [], "cat")  # with `by`: each scored sample's groups
        by = getattr(options, "by", "")
        self.breakdown = Groups(by, name) if by else None

    @abstractmethod
    def score(self, sample: dict) -> float:
        """The score of one sample (prediction vs references, or a field of it)."""

    def update(self, sample: dict) -> float | None:
        v = float(self.score(sample))
        self.values.append(v)
        if self.breakdown is not None:
            self.group_keys.append(self.breakdown.keys(sample))
        return v

    def compute(self) -> MetricValue:
        if not self.values:
            raise ConfigError(f"metric {self.name!r}: no sample was scored, so there is nothing to aggregate.")
        est = estimate(self.values, seed=self.seed)
        out = MetricValue(self.name, est.value, est.stderr, est.ci, est.n, self.higher_is_better, unit=self.unit)
        if self.breakdown is not None:
            out.extra["groups"] = self.breakdown.to_json(self.values, self.group_keys, self.seed)
        return out

    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float] | None:
        """The mean of the scores the run logged (the run as it was scored); None when it logged none."""
        return logged_mean(samples, self.name)

    def metadata(self) -> MetricMetadata:
        meta = super().metadata()
        if self.breakdown is None:
            return meta
        return replace(meta, views=(*meta.views, self.breakdown.view(meta.display_name, self.unit)))


def logged_mean(samples: list[dict], name: str) -> Callable[[np.ndarray], float] | None:
    """Mean of the per-sample scores `name` logged in `samples`, over the given rows (a row without
    a score, unscored or filtered out, counts in neither sum); None when no row has one."""
    scores = [s.get("scores", {}).get(name) for s in samples]
    scored = np.array([isinstance(v, (int, float)) and not isinstance(v, bool) for v in scores])
    if not scored.any():
        return None
    values = np.array([float(v) if ok else 0.0 for v, ok in zip(scores, scored)])
    weights = scored.astype(float)

    def mean(rows: np.ndarray) -> float:
        n = weights[rows].sum()
        return float(values[rows].sum() / n) if n > 0 else float("nan")
    return mean


def references(sample: dict) -> list:
    refs = sample.get("references")
    if refs is None:
        raise ConfigError("a scored sample has no 'references'; the task's process() hook must set them.")
    return list(refs) if isinstance(refs, (list, tuple)) else [refs]


def make_metric(spec_text: str, seed: int = 0) -> Metric:
    """Instantiate a registered metric from `name` or `name:k=v,...`."""
    spec = parse_spec(spec_text, "metric")
    cls = registry.metrics.subclass(spec.name, Metric)
    label = Spec(spec.name, tuple((k, v) for k, v in spec.options if k not in cls.unnamed_options)).text
    return cls(label, build(cls.Options, spec.options, f"metric {spec.name!r}"), seed)
