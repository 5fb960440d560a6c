"""ANLS, Average Normalized Levenshtein Similarity (Biten et al. 2019), in two named variants.

Per question: the best over gold answers of 1 - NL(prediction, gold) when NL < 0.5, else 0,
where NL = Levenshtein distance / the longer string's length (0 when both are empty). The
variants differ only in normalisation:

- `docvqa` (default): the DocVQA/RRC convention: strip, lower-case, collapse whitespace.
- `pix2struct`: google-research/pix2struct's metrics.py (`anls_metric` under
  `aggregate_metrics` with `normalize_fn=lower`): lower-case only, so surrounding or doubled
  spaces count as edits. Its threshold is also strict (`normalized_ld < theta`), whatever
  one reads elsewhere; and where it divides by zero for two empty strings, we score 1.

Example that scores differently: prediction " Paris" for gold "paris" is 1.0 under `docvqa`
and 1 - 1/6 = 0.833 under `pix2struct`. Levenshtein distances come from rapidfuzz.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from .base import PerSampleMetric, references

THRESHOLD = 0.5
Variant = Literal["docvqa", "pix2struct"]  # checked where users name it: the metric's Options


def normalize(text: str, variant: Variant) -> str:
    text = str(text).lower()
    return " ".join(text.split()) if variant == "docvqa" else text


def similarity(prediction: str, gold: str, variant: Variant = "docvqa") -> float:
    """1 - NL between the normalised strings, or 0 when NL reaches the threshold."""
    p, g = normalize(prediction, variant), normalize(gold, variant)
    longest = max(len(p), len(g))
    nl = Levenshtein.distance(p, g) / longest if longest else 0.0
    return 1.0 - nl if nl < THRESHOLD else 0.0


def anls(prediction: str, golds: list[str], variant: Variant = "docvqa") -> float:
    return max((similarity(prediction, g, variant) for g in golds), default=0.0)


class ANLS(PerSampleMetric):
    """Average Normalized Levenshtein Similarity against the best gold answer (DocVQA's metric)."""

    display_name = "ANLS"

    @dataclass(frozen=True)
    class Options:
        variant: Variant = "docvqa"
        by: str = ""  # a field of the task's samples to break the score down by (groups.py)

    def score(self, sample: dict) -> float:
        return anls(str(sample.get("prediction", "")), [str(r) for r in references(sample)], self.options.variant)
