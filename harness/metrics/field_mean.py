"""`mean:field=NAME`: the mean of a per-sample field that a task's hook computes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .base import MetricValue, PerSampleMetric
from .groups import sample_field
from .metadata import MetricMetadata


class FieldMean(PerSampleMetric):
    """Mean of a numeric per-sample field that the task's hook computes (`mean:field=NAME`).

    `where=FLAG` keeps only the samples whose field FLAG is true (reported as NAME[FLAG]);
    `by=FIELD` adds each group's mean, stderr and CI under extra.groups (reported as
    NAME_by_FIELD; a list-valued FIELD counts the sample in each of its groups), so one task can
    break a rate down by source or by flag. `unit=rate|number` says how it is shown; by default a mean of 0/1 values is a rate and any other a number.
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
        self.not_measured: int
        self.add_state("not_measured", 0, "sum")

    def metadata(self) -> MetricMetadata:
        """Named and said in the words the task gives its fields (TaskHooks.fields), `definition=`
        first. A breakdown (`by=`) is drawn as bars per group and left out of leaderboard tables,
        whose column for the overall mean already holds its value."""
        o = self.options
        name, text = self._words(o.field)
        text = o.definition or text
        if o.where:
            where_name, where_text = self._words(o.where)
            name, text = f"{name}, {where_name} only", f"{text.rstrip('.')}. Only the {where_name} samples: {where_text}"
        if self.breakdown is None:
            return MetricMetadata(name, text)
        by_name, by_text = self._words(o.by)
        return MetricMetadata(f"{name} by {by_name}", f"{text.rstrip('.')}, per group of {by_name} ({by_text.rstrip('.')}).",
                              (self.breakdown.view(o.field, o.unit or "rate"),), in_tables=False)

    def _words(self, field: str) -> tuple[str, str]:
        """(name, sentence) of a per-sample field: the task's words, else its name and a plain statement."""
        return self.field_words.get(field) or (field.replace("_", " "), f"the per-sample field {field!r} (the task gives no words for it).")

    def _field(self, sample: dict, name: str) -> Any:
        return sample_field(sample, name, self.name)

    def score(self, sample: dict) -> float:
        return float(self._field(sample, self.options.field))

    def update(self, sample: dict) -> float | None:
        if self.options.where and not self._field(sample, self.options.where):
            return None
        if self._field(sample, self.options.field) is None:
            self.not_measured += 1
            return None
        return super().update(sample)

    def compute(self) -> MetricValue:
        extra = {k: v for k, v in (("definition", self.options.definition), ("not_measured", self.not_measured)) if v}
        if not self.values and (self.options.where or self.not_measured):  # nothing left to average: undefined
            return MetricValue(self.name, None, None, None, 0, self.higher_is_better, extra)
        self.unit = self.options.unit or ("rate" if all(v in (0.0, 1.0) for v in self.values) else "number")  # type: ignore[misc]
        out = super().compute()
        out.extra.update(extra)
        return out
