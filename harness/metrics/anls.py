"""ANLS, Average Normalized Levenshtein Similarity (Biten et al. 2019), in three named variants.

Per question: the best over gold answers of 1 - NL(prediction, gold), kept when it clears the
0.5 threshold and 0 otherwise, NL being a Levenshtein distance (rapidfuzz) over a length. The
variants are the three definitions numbers get published under; they differ at the edges:

| variant | distance between | divided by the longer of | NL = 0.5 exactly |
|---|---|---|---|
| `official` (default) | strip, lower-case, collapse whitespace | the *raw* strings, upper-cased | kept (0.5) |
| `paper` | strip, lower-case, collapse whitespace | the normalised strings | 0 |
| `pix2struct` | lower-case only | the lower-cased strings | kept (0.5) |

- `official` is the DocVQA/InfographicVQA evaluation script of the RRC server, which scores the
  test splits papers report (Pix2Struct's DocVQA figures among them): `question_result = 1 -
  min(NL)`, zeroed when `< 0.5`, with `length = max(len(gold.upper()), len(pred.upper()))` of
  the unnormalised answers. So surrounding spaces lengthen the divisor and shrink NL.
- `paper` is the definition as Biten et al. write it (NL < 0.5 kept), on normalised strings.
- `pix2struct` is google-research/pix2struct's `metrics.py` (`anls_metric`, `normalized_ld <=
  theta`, under `aggregate_metrics` with `normalize_fn=lower`); where it divides by zero for
  two empty strings, we score 1, as the official script does.

Example: prediction "ab" for gold "ac" (NL = 0.5) scores 0.5 under `official` and `pix2struct`,
0 under `paper`; " Paris" for "paris" scores 1.0 under `official` and `paper`, 1 - 1/6 under
`pix2struct`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Levenshtein

from .base import PerSampleMetric, references

THRESHOLD = 0.5
Variant = Literal["official", "paper", "pix2struct"]  # checked where users name it: the metric's Options


def _squeezed(text: str) -> str:
    return " ".join(text.strip().lower().split())


def similarity(prediction: str, gold: str, variant: Variant = "official") -> float:
    """1 - NL between prediction and gold under the variant's rules, or 0 below the threshold."""
    prediction, gold = str(prediction), str(gold)
    if variant == "pix2struct":
        p, g = prediction.lower(), gold.lower()
        longest = max(len(p), len(g))
    else:
        p, g = _squeezed(prediction), _squeezed(gold)
        longest = max(len(prediction.upper()), len(gold.upper())) if variant == "official" else max(len(p), len(g))
    nl = Levenshtein.distance(p, g) / longest if longest else 0.0
    if variant == "official":  # each comparison written as its reference writes it
        return 0.0 if 1.0 - nl < THRESHOLD else 1.0 - nl
    return 1.0 - nl if (nl <= THRESHOLD if variant == "pix2struct" else nl < THRESHOLD) else 0.0


def anls(prediction: str, golds: list[str], variant: Variant = "official") -> float:
    return max((similarity(prediction, g, variant) for g in golds), default=0.0)


class ANLS(PerSampleMetric):
    """Average Normalized Levenshtein Similarity against the best gold answer (DocVQA's metric)."""

    display_name = "ANLS"
    variant_words = {
        "official": "DocVQA's evaluation server; divides by the longer raw answer, keeps a distance of exactly 0.5.",
        "paper": "Biten et al.'s definition on normalised answers; a distance of exactly 0.5 scores 0.",
        "pix2struct": "Pix2Struct's code; lower-cases only, so surrounding spaces count as edits.",
    }

    @dataclass(frozen=True)
    class Options:
        variant: Variant = "official"
        by: str = ""  # a field of the task's samples to break the score down by (groups.py)

    def score(self, sample: dict) -> float:
        return anls(str(sample.get("prediction", "")), [str(r) for r in references(sample)], self.options.variant)
