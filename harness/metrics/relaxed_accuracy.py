"""Relaxed accuracy (ChartQA; Methani et al. 2020's 5% rule), in two named variants.

- `pix2struct` (default, the reference semantics of google-research/pix2struct's
  `relaxed_correctness`): a string is a number when float() accepts it, after removing a
  trailing "%" and dividing by 100; when both parse and the gold is non-zero, correct iff
  |p - g| / |g| <= 0.05; otherwise a case-insensitive exact match.
  Known pitfalls, kept on purpose so numbers compare with the paper's: years compare with 5%
  tolerance (2010 for 2000 is "correct"); "1,000" is not a number (float() refuses the comma),
  so it must match as text; a gold of "0" falls back to text match ("0.0" is wrong); text is
  compared unstripped (" yes" is not "yes").
- `fixed`: the same rule with those pitfalls removed: thousands separators are dropped before
  parsing, a gold that looks like a year (a four-digit integer 1900-2099 without a decimal
  point) must match exactly (so a quantity such as 2000 is read as a year too), a zero gold
  is matched numerically (p == 0), and text is compared after stripping.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .base import PerSampleMetric, references

TOLERANCE = 0.05
Variant = Literal["pix2struct", "fixed"]  # checked where users name it: the metric's Options
_YEAR = re.compile(r"^\s*(19|20)\d{2}\s*$")


def _number(text: str, variant: Variant) -> float | None:
    if variant == "fixed":
        text = text.strip().replace(",", "")
    try:
        return float(text.rstrip("%")) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        return None


def correct(prediction: str, gold: str, variant: Variant = "pix2struct") -> bool:
    p, g = _number(prediction, variant), _number(gold, variant)
    if variant == "fixed" and p is not None and g is not None:
        if _YEAR.match(gold) or g == 0:
            return p == g
    if p is not None and g:
        return abs(p - g) / abs(g) <= TOLERANCE
    if variant == "fixed":
        return prediction.strip().lower() == gold.strip().lower()
    return prediction.lower() == gold.lower()


class RelaxedAccuracy(PerSampleMetric):
    """1 if the prediction is within 5% of a numeric gold answer, else an exact (case-insensitive) match."""

    display_name = "relaxed accuracy"
    variant_words = {
        "pix2struct": "Pix2Struct's rule as written: years within 5% count, \"1,000\" is text, a gold of 0 needs a text match.",
        "fixed": "those pitfalls removed: separators dropped, years exact, a gold of 0 matched as a number, text stripped.",
    }

    @dataclass(frozen=True)
    class Options:
        variant: Variant = "pix2struct"
        by: str = ""  # a field of the task's samples to break the score down by (groups.py)

    def score(self, sample: dict) -> float:
        pred = str(sample.get("prediction", ""))
        return float(any(correct(pred, str(r), self.options.variant) for r in references(sample)))
