"""Answer matching for question answering, shared by every QA task.

SQuAD v1.1's official normalisation (lower case, no punctuation, no articles, single
spaces) and token F1, plus what QA on entities and numbers needs:
- numbers compare as numbers ("1,000" = "1000" = 1000.0, "004" = 4, "18.0" = 18), in EM,
  token F1 (a numeric token is compared by value, and F1 is 1 wherever EM is) and cover-EM;
- curly quotes, apostrophes and dashes count as their straight forms;
- cover-EM: a gold answer appears as a whole phrase inside a longer prediction. There a
  punctuation mark separates words instead of vanishing ("Jewish-American" contains
  "Jewish", "Titan IIIE/Centaur" contains "Titan IIIE"), and a number is read up to the
  punctuation after it ("May 26, 1827," contains 1827).
Gold answers may be a list of accepted strings or numbers. The metrics exact_match, token_f1
and cover_em score a sample's prediction against its references with these rules.
"""
from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable
from typing import Any

from .base import PerSampleMetric, references

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                           "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                           "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})
_DROP_PUNCT = str.maketrans("", "", string.punctuation)
_SPLIT_PUNCT = str.maketrans(string.punctuation, " " * len(string.punctuation))
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
# A number inside text: not part of a word or of a longer number; a trailing comma or period is not its own.
_NUMBER_IN_TEXT = re.compile(r"(?<![\w.])[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d|\.\d)")


def _normalize(text: Any, punctuation: dict) -> str:
    text = str(text).translate(_STRAIGHT).lower().translate(punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def normalize_answer(text: Any) -> str:
    """SQuAD v1.1 official normalisation (lower case, drop punctuation and articles, squeeze
    spaces), with curly quotes and dashes read as straight ones first."""
    return _normalize(text, _DROP_PUNCT)


def parse_number(text: Any) -> float | None:
    """The value of a bare number ("1,000", "-3.5", "+93", "004", "33."), else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    s = str(text).strip().rstrip(".").strip()
    if not _NUMBER.match(s):
        return None
    return float(s.replace(",", ""))


def _golds(golds: Any) -> list:
    return list(golds) if isinstance(golds, (list, tuple)) else [golds]


def exact_match(prediction: Any, golds: Any) -> bool:
    """Normalised equality with any gold; two numbers are equal when their values are."""
    p_num, p_norm = parse_number(prediction), normalize_answer(prediction)
    for g in _golds(golds):
        g_num = parse_number(g)
        if p_num is not None and g_num is not None:
            if p_num == g_num:
                return True
        elif p_norm == normalize_answer(g):
            return True
    return False


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _canonical_numbers(text: Any) -> str:
    """Each number in the text written as its value ("18.0" -> "18", "1,000" -> "1000"), so
    that token F1 compares numbers as EM does."""
    def value(m: re.Match) -> str:
        v = parse_number(m.group(0))
        return m.group(0) if v is None else (str(int(v)) if v.is_integer() else repr(v))
    return _NUMBER_IN_TEXT.sub(value, str(text))


def token_f1(prediction: Any, golds: Any) -> float:
    """SQuAD token F1, the best over the gold answers; numbers compare by value and a gold that
    EM accepts scores 1, so F1 is never below EM."""
    pred = normalize_answer(_canonical_numbers(prediction)).split()
    return max(1.0 if exact_match(prediction, [g]) else _f1(pred, normalize_answer(_canonical_numbers(g)).split())
               for g in _golds(golds))


def _numbers_in(text: str) -> Iterable[float]:
    for tok in _NUMBER_IN_TEXT.findall(str(text).translate(_STRAIGHT)):
        v = parse_number(tok)
        if v is not None:
            yield v


def cover_match(prediction: Any, golds: Any) -> bool:
    """A gold answer appears in the prediction as a whole phrase (numbers: as a value)."""
    if exact_match(prediction, golds):
        return True
    padded = f" {_normalize(prediction, _SPLIT_PUNCT)} "
    numbers = set(_numbers_in(prediction))
    for g in _golds(golds):
        g_num = parse_number(g)
        if g_num is not None:
            if g_num in numbers:
                return True
            continue
        norm = _normalize(g, _SPLIT_PUNCT)
        if norm and f" {norm} " in padded:
            return True
    return False


def copies_shown_answer(prediction: Any, shown: Iterable[Any]) -> bool:
    """The prediction equals (EM) one of the answers its prompt showed, e.g. a few-shot exemplar's."""
    shown = list(shown)
    return bool(str(prediction).strip()) and bool(shown) and exact_match(prediction, shown)


class ExactMatch(PerSampleMetric):
    """1 if the SQuAD-normalised prediction equals a reference (numbers compare as numbers)."""

    display_name = "exact match"

    def score(self, sample: dict) -> float:
        return float(exact_match(sample.get("prediction", ""), references(sample)))


class TokenF1(PerSampleMetric):
    """SQuAD token F1 against the best-matching reference."""

    display_name = "token F1"

    def score(self, sample: dict) -> float:
        return token_f1(sample.get("prediction", ""), references(sample))


class CoverEM(PerSampleMetric):
    """1 if a reference appears as a whole phrase in the prediction (cover exact match)."""

    display_name = "cover-EM"

    def score(self, sample: dict) -> float:
        return float(cover_match(sample.get("prediction", ""), references(sample)))
