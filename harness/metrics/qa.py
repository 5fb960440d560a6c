"""Answer matching for question answering, shared by every QA task.

SQuAD v1.1's official normalisation (lower case, no punctuation, no articles, single
spaces) and token F1, plus what QA on entities and numbers needs:
- one number rule for EM, token F1 and cover-EM: each number in a text becomes one word that
  holds its value, sign and decimals ("1,000" = "1000" = "1000.0", "004" = 4, but "3.5" is
  not "35" and "-34" is not "34"), before punctuation is dropped; so "4884 m" matches gold
  "4,884 m" under all three, and F1 never credits a number that EM refuses;
- a number glued to letters is part of a word: a decade, an ordinal, a model name ("1990s" is
  not 1990, "100th" not 100, "A380" not 380), except before a unit of measure ("5km" reads as
  "5 km", so it contains 5 for cover-EM and equals "5 km");
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
_DIGITS = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER = re.compile(rf"^{_DIGITS}$")
# A number inside text: not inside a word or a longer number; a trailing comma or period is not its own.
_NUMBER_IN_TEXT = re.compile(rf"(?<![\w.]){_DIGITS}(?!\w|\.\d)")
_UNITS = "km|cm|mm|nm|m|kg|mg|g|lbs?|oz|ft|in|mi|mph|kph|km/h|ha|ml|l|kb|mb|gb|tb|hz|khz|mhz|ghz|w|kw|mw|gw|kwh|v|mah"
_GLUED_UNIT = re.compile(rf"(?<![\w.])({_DIGITS})({_UNITS})\b", re.IGNORECASE)


def _value_word(value: float) -> str:
    """One word for a number's value that survives punctuation removal: 3.5 -> num3p5, -34 -> numm34."""
    text = str(int(value)) if value.is_integer() else repr(value)
    return "num" + text.replace("-", "m").replace(".", "p")


def _numbers_as_words(text: str) -> str:
    def word(m: re.Match) -> str:
        v = parse_number(m.group(0))
        return m.group(0) if v is None else _value_word(v)
    text = _GLUED_UNIT.sub(r"\1 \2", text.translate(_STRAIGHT))
    return _NUMBER_IN_TEXT.sub(word, text)


def _normalize(text: Any, punctuation: dict) -> str:
    text = _numbers_as_words(str(text)).lower().translate(punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def normalize_answer(text: Any) -> str:
    """SQuAD v1.1 official normalisation (lower case, drop punctuation and articles, squeeze
    spaces), with curly quotes and dashes read as straight ones and each number as one word
    holding its value (the module's number rule)."""
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


def _as_text(answer: Any) -> str:
    """A gold or predicted answer as text, a bare number as the word of its value."""
    value = parse_number(answer)
    return _value_word(value) if value is not None else str(answer)


def exact_match(prediction: Any, golds: Any) -> bool:
    """Normalised equality with any gold; numbers are equal when their values are."""
    p = normalize_answer(_as_text(prediction))
    return any(p == normalize_answer(_as_text(g)) for g in _golds(golds))


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: Any, golds: Any) -> float:
    """SQuAD token F1, the best over the gold answers, on words made by the number rule (so F1
    is never below EM, and a number scores only when its value does)."""
    pred = normalize_answer(_as_text(prediction)).split()
    return max(_f1(pred, normalize_answer(_as_text(g)).split()) for g in _golds(golds))


def cover_match(prediction: Any, golds: Any) -> bool:
    """A gold answer appears in the prediction as a whole phrase (a number: as its value)."""
    if exact_match(prediction, golds):
        return True
    padded = f" {_normalize(prediction, _SPLIT_PUNCT)} "
    for g in _golds(golds):
        norm = _normalize(_as_text(g), _SPLIT_PUNCT)
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
