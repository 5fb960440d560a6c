"""`mean:field=NAME`: the mean of a per-sample field that a task's hook computes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..stats import estimate
from .base import MetricValue, PerSampleMetric
from .metadata import Column, MetricMetadata, View


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

    def metadata(self) -> MetricMetadata:
        """A breakdown (`by=`) is drawn as bars per group and left out of leaderboard tables,
        whose column for the overall mean already holds its value."""
        o = self.options
        text = o.definition or f"mean of the per-sample field {o.field!r}" + (f" where {o.where!r} is true" if o.where else "")
        if not o.by:
            return MetricMetadata(self.name, text)
        unit = o.unit or "rate"
        bars = View("bars", f"by {o.by} (95% CI)", "groups",
                    (Column("value", o.field, unit), Column("ci", "95% CI", unit), Column("n", "n", "count")))
        return MetricMetadata(self.name, text, (bars,), in_tables=False)

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
