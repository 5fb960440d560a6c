"""What a project-made page is made of, independent of how it is laid out or drawn: drawing
items (text, boxes, rules) in page pixels, questions with their gold answers, and the pure
`Document` that holds both.
"""
from __future__ import annotations

from dataclasses import dataclass

QUESTION_TYPES = ("form", "table/list", "layout", "free_text")
PAGE = (1000, 1300)


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    size: int = 22
    style: str = "regular"  # regular | bold | italic
    anchor: str = "la"      # PIL anchors: la left, ra right, ma centred (top of the ascender)


@dataclass(frozen=True)
class Rect:
    box: tuple[int, int, int, int]
    width: int = 2
    fill: int | None = None


@dataclass(frozen=True)
class Rule:
    points: tuple[int, int, int, int]
    width: int = 2


@dataclass(frozen=True)
class DocQuestion:
    question: str
    answers: tuple[str, ...]
    question_types: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    kind: str
    items: tuple[Text | Rect | Rule, ...]
    questions: tuple[DocQuestion, ...]

    def text(self) -> str:
        """All printed text in drawing order, lines joined by spaces (wrapped lines rejoin as written)."""
        return " ".join(item.text for item in self.items if isinstance(item, Text))
