"""Answer matching for question answering, shared by every QA task.

SQuAD v1.1's official normalisation (lower case, no punctuation, no articles, single
spaces) and token F1, plus two things QA on entities and numbers needs: numbers
compare as numbers ("1,000" = "1000" = 1000.0, "004" = 4), and cover-EM (a gold
answer appears as a whole phrase inside a longer prediction). Gold answers may be a
list of accepted strings or numbers.
"""
from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable
from typing import Any

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_DROP_PUNCT = str.maketrans("", "", string.punctuation)
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def normalize_answer(text: Any) -> str:
    """SQuAD v1.1 official normalisation: lower case, drop punctuation and articles, squeeze spaces."""
    return " ".join(_ARTICLES.sub(" ", str(text).lower().translate(_DROP_PUNCT)).split())


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


def token_f1(prediction: Any, golds: Any) -> float:
    """SQuAD token F1, the best over the gold answers."""
    pred = normalize_answer(prediction).split()
    return max(_f1(pred, normalize_answer(g).split()) for g in _golds(golds))


def _numbers_in(text: str) -> Iterable[float]:
    for tok in re.findall(r"[+-]?\d[\d,]*(?:\.\d+)?", text):
        v = parse_number(tok)
        if v is not None:
            yield v


def cover_match(prediction: Any, golds: Any) -> bool:
    """A gold answer appears in the prediction as a whole phrase (numbers: as a value)."""
    if exact_match(prediction, golds):
        return True
    padded = f" {normalize_answer(prediction)} "
    for g in _golds(golds):
        g_num = parse_number(g)
        if g_num is not None:
            if g_num in set(_numbers_in(str(prediction))):
                return True
            continue
        norm = normalize_answer(g)
        if norm and f" {norm} " in padded:
            return True
    return False
