"""`by=FIELD`: a per-sample metric's value per group of samples, for breakdowns (DocVQA's
question types, a source, a flag). The field is one the task's process() sets; a list value
(a DocVQA question has several types) puts the sample in each of its groups, as DocVQA's
per-type scores count it."""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..stats import estimate
from .metadata import Column, View


def sample_field(sample: dict, name: str, metric: str) -> Any:
    """A field that the task's process() set, or an error naming what it did set."""
    fields = sample.get("fields", {})
    if name not in fields:
        raise ConfigError(f"metric {metric!r} reads field {name!r}, which the task's process() did not set "
                          f"(it set: {sorted(fields) or 'none'}).")
    return fields[name]


class Groups:
    """Which groups a sample falls in, and each group's estimate from the scores of its samples."""

    def __init__(self, field: str, metric: str):
        self.field, self.metric = field, metric

    def keys(self, sample: dict) -> tuple[str, ...]:
        value = sample_field(sample, self.field, self.metric)
        return tuple(str(key) for key in dict.fromkeys(value if isinstance(value, (list, tuple)) else [value]))

    def to_json(self, scores: list[float], keys: list[tuple[str, ...]], seed: int) -> dict[str, dict]:
        """Each group's value, stderr, 95% CI and n (results.json's extra.groups), from every scored
        sample's score and groups."""
        by_group: dict[str, list[float]] = {}
        for score, groups in zip(scores, keys):
            for key in groups:
                by_group.setdefault(key, []).append(score)
        out = {}
        for key in sorted(by_group):
            est = estimate(by_group[key], seed=seed)
            out[key] = {"value": est.value, "stderr": est.stderr, "ci": list(est.ci) if est.ci else None, "n": est.n}
        return out

    def view(self, label: str, unit: str) -> View:
        return View("bars", f"by {self.field} (95% CI)", "groups",
                    (Column("value", label, unit), Column("ci", "95% CI", unit), Column("n", "n", "count")))
