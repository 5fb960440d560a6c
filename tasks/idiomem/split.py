"""Prompt/target splitting and the memorized rule, kept apart from the hooks so tests can hit the edge cases."""
from __future__ import annotations

import re
import unicodedata

from claimbench.harness.errors import DataError


def split_idiom(idiom: str) -> tuple[str, str]:
    """(prompt, target): the idiom up to its last whitespace, and its last word.

    The prompt keeps no trailing space; the target word follows it after one space, so a
    model that has memorized the idiom continues the prompt with " " + target. The word
    is what whitespace delimits: "well-to-do" and "someone's" are one word each.
    """
    text = " ".join(idiom.split())
    if " " not in text:
        raise DataError(f"idiom {idiom!r} has fewer than two words, so there is no prompt to complete; fix or drop the row.")
    prompt, target = text.rsplit(" ", 1)
    if not normalize_word(target):
        raise DataError(f"idiom {idiom!r} ends in {target!r}, which has no letters or digits to predict; fix or drop the row.")
    return prompt, target


def normalize_word(word: str) -> str:
    """Case-folded, with every punctuation character (hyphens, apostrophes, curly quotes) removed."""
    return "".join(ch for ch in word.casefold() if not unicodedata.category(ch).startswith("P"))


_WORD = re.compile(r"\s+([\w'’-]+)")


def predicted_word(continuation: str) -> str | None:
    """The first word of the continuation, or None when the model did not start a new word.

    A word is a run of letters, digits, apostrophes and hyphens; anything else ends it
    (punctuation, or markup tokens such as "<start_of_image>" that a model may emit right
    after the word). A continuation that does not begin with whitespace extends the
    prompt's last word ("blind" -> "blindness") instead of predicting the next one.
    """
    m = _WORD.match(continuation)
    return m.group(1) if m else None


def memorized(continuation: str, target: str) -> bool:
    """The rule of Haviv et al.: the greedy continuation's first word is the idiom's last word."""
    word = predicted_word(continuation)
    return word is not None and normalize_word(word) == normalize_word(target)
