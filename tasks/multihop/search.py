"""Search engines for retrieval-augmented prompting (self-ask + search), a registry of their own.

An engine answers a follow-up question with a short text, or None when it has nothing;
`row` is the dataset row being evaluated (the oracle engine reads the row's own
decomposition from it). Engines register under the `claimbench.search` entry-point
group and are named by spec strings (`oracle:threshold=0.8`, `bm25:corpus=docs.jsonl`).
A diagnostic engine (one that peeks at gold data) sets `diagnostic = True`; tasks must
label its results as such. The registry is the multi-hop family's own, not the engine's.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from claimbench.harness import registry
from claimbench.harness.options import Spec, build, parse_spec

engines: registry.Registry = registry.Registry("search engine", "claimbench.search", listing="search")


class SearchEngine(ABC):
    diagnostic: ClassVar[bool] = False

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, options: Any, spec: Spec):
        self.options, self.spec = options, spec

    @property
    def label(self) -> str:
        text = self.spec.text
        return f"{text} [diagnostic upper bound: reads the gold decomposition]" if self.diagnostic else text

    @abstractmethod
    def answer(self, question: str, row: dict) -> str | None:
        """A short answer to `question`, or None."""


def load_search(spec_text: str) -> SearchEngine:
    spec = parse_spec(spec_text, "search engine spec")
    cls = engines.subclass(spec.name, SearchEngine)
    return cls(build(cls.Options, spec.options, f"search engine {spec.name!r}"), spec)
