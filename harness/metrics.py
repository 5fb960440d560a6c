"""Metrics in the torchmetrics shape: `update(sample)` per scored sample, `compute()` at the end.

A per-sample metric scores each sample (the score is logged in samples.jsonl) and
aggregates to mean, stderr and a bootstrap CI. Corpus metrics (FID, verification)
subclass Metric directly and keep their own state. Metrics are registered under the
`claimbench.metrics` entry-point group and referenced by name (or `name:k=v`) in task configs.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import qa, registry
from .errors import ConfigError
from .options import build, parse_spec
from .stats import estimate


@dataclass
class MetricValue:
    name: str
    value: float | None  # None only where the metric is undefined (e.g. a gap with no pair right)
    stderr: float | None
    ci: tuple[float, float] | None
    n: int
    higher_is_better: bool
    extra: dict[str, Any] = field(default_factory=dict)
    unit: str = "rate"   # how reports show it: "rate" in percent, "number" as measured

    def to_json(self) -> dict:
        return {"value": self.value, "stderr": self.stderr, "ci": list(self.ci) if self.ci else None,
                "n": self.n, "higher_is_better": self.higher_is_better, "unit": self.unit, "extra": self.extra}


class Metric(ABC):
    """Accumulates state over samples; `Options` (a dataclass) holds its parameters."""

    higher_is_better: ClassVar[bool] = True
    unit: ClassVar[str] = "rate"  # "rate" (a share, shown in percent) or "number" (shown as measured)

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, name: str, options: Any, seed: int = 0):
        self.name, self.options, self.seed = name, options, seed

    @abstractmethod
    def update(self, sample: dict) -> float | None:
        """Take one scored sample; return its per-sample score if the metric has one."""

    @abstractmethod
    def compute(self) -> MetricValue:
        """The aggregate over everything seen so far."""


class PerSampleMetric(Metric):
    """Mean of a per-sample score, with stderr and a bootstrap CI."""

    def __init__(self, name: str, options: Any, seed: int = 0):
        super().__init__(name, options, seed)
        self.values: list[float] = []

    @abstractmethod
    def score(self, sample: dict) -> float:
        """The score of one sample (prediction vs references, or a field of it)."""

    def update(self, sample: dict) -> float:
        v = float(self.score(sample))
        self.values.append(v)
        return v

    def compute(self) -> MetricValue:
        if not self.values:
            raise ConfigError(f"metric {self.name!r}: no sample was scored, so there is nothing to aggregate.")
        est = estimate(self.values, seed=self.seed)
        return MetricValue(self.name, est.value, est.stderr, est.ci, est.n, self.higher_is_better, unit=self.unit)


def _references(sample: dict) -> list:
    refs = sample.get("references")
    if refs is None:
        raise ConfigError("a scored sample has no 'references'; the task's process() hook must set them.")
    return list(refs) if isinstance(refs, (list, tuple)) else [refs]


class ExactMatch(PerSampleMetric):
    """1 if the SQuAD-normalised prediction equals a reference (numbers compare as numbers)."""

    def score(self, sample: dict) -> float:
        return float(qa.exact_match(sample.get("prediction", ""), _references(sample)))


class TokenF1(PerSampleMetric):
    """SQuAD token F1 against the best-matching reference."""

    def score(self, sample: dict) -> float:
        return qa.token_f1(sample.get("prediction", ""), _references(sample))


class CoverEM(PerSampleMetric):
    """1 if a reference appears as a whole phrase in the prediction (cover exact match)."""

    def score(self, sample: dict) -> float:
        return float(qa.cover_match(sample.get("prediction", ""), _references(sample)))


class Accuracy(PerSampleMetric):
    """1 if the prediction equals a reference exactly (labels, choices, numbers)."""

    def score(self, sample: dict) -> float:
        return float(any(sample.get("prediction") == r for r in _references(sample)))


class FieldMean(PerSampleMetric):
    """Mean of a numeric per-sample field that the task's hook computes (`mean:field=NAME`).

    `where=FLAG` keeps only the samples whose field FLAG is true (reported as NAME[FLAG]);
    `by=FIELD` adds each group's mean, stderr and CI under extra.groups (reported as
    NAME_by_FIELD), so one task can break a rate down by source or by flag. `unit=rate|number`
    says how it is shown; by default a mean of 0/1 values is a rate and any other a number.
    `definition=TEXT` says in words what the field measures (shown in reports). A sample whose
    field is None was not measured by this run (e.g. a backend without the request kind that
    gives it): it is counted under extra.not_measured, and if none was measured the value is None.
    """

    @dataclass(frozen=True)
    class Options:
        field: str
        higher_is_better: bool = True
        where: str = ""
        by: str = ""
        unit: str = ""
        definition: str = ""

        def __post_init__(self) -> None:
            if self.unit not in ("", "rate", "number"):
                raise ConfigError(f"metric 'mean': unit must be 'rate' or 'number', got {self.unit!r}.")

    def __init__(self, name: str, options: Any, seed: int = 0):
        label = options.field + (f"[{options.where}]" if options.where else "") + (f"_by_{options.by}" if options.by else "")
        super().__init__(label, options, seed)
        self.higher_is_better = options.higher_is_better  # type: ignore[misc]
        self.groups: dict[str, list[float]] = {}
        self.not_measured = 0

    def _field(self, sample: dict, name: str) -> Any:
        fields = sample.get("fields", {})
        if name not in fields:
            raise ConfigError(f"metric {self.name!r} reads field {name!r}, which the task's process() did not set "
                              f"(it set: {sorted(fields) or 'none'}).")
        return fields[name]

    def score(self, sample: dict) -> float:
        return float(self._field(sample, self.options.field))

    def update(self, sample: dict) -> float | None:
        if self.options.where and not self._field(sample, self.options.where):
            return None
        if self._field(sample, self.options.field) is None:
            self.not_measured += 1
            return None
        v = super().update(sample)
        if self.options.by:
            self.groups.setdefault(str(self._field(sample, self.options.by)), []).append(v)
        return v

    def compute(self) -> MetricValue:
        extra = {k: v for k, v in (("definition", self.options.definition), ("not_measured", self.not_measured)) if v}
        if not self.values and (self.options.where or self.not_measured):  # nothing left to average: undefined
            return MetricValue(self.name, None, None, None, 0, self.higher_is_better, extra)
        self.unit = self.options.unit or ("rate" if all(v in (0.0, 1.0) for v in self.values) else "number")  # type: ignore[misc]
        out = super().compute()
        out.extra.update(extra)
        if self.options.by:
            out.extra["groups"] = {}
            for key in sorted(self.groups):
                est = estimate(self.groups[key], seed=self.seed)
                out.extra["groups"][key] = {"value": est.value, "stderr": est.stderr,
                                            "ci": list(est.ci) if est.ci else None, "n": est.n}
        return out


def make_metric(spec_text: str, seed: int = 0) -> Metric:
    """Instantiate a registered metric from `name` or `name:k=v,...`."""
    spec = parse_spec(spec_text, "metric")
    cls = registry.metrics.get(spec.name)
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise ConfigError(f"metric {spec.name!r} ({registry.metrics.source(spec.name)}) is not a Metric subclass.")
    label = spec.name if not spec.options else spec.text
    return cls(label, build(cls.Options, spec.options, f"metric {spec.name!r}"), seed)
