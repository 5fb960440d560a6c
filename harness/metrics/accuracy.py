"""Accuracy: the prediction equals a reference exactly (labels, choices, numbers)."""
from __future__ import annotations

from .base import PerSampleMetric, references


class Accuracy(PerSampleMetric):
    """1 if the prediction equals a reference exactly (labels, choices, numbers)."""

    def score(self, sample: dict) -> float:
        return float(any(sample.get("prediction") == r for r in references(sample)))
