"""Executors: who serves the batches of unique, uncached requests that the dispatcher cuts.

The dispatcher plans (dedup, cache lookup, batch composition); an executor only runs
batches and hands each one back the moment it finishes, through `done(index, responses)`,
which writes it to the cache. So batches are the same whatever the executor or its worker
count, and a run killed under one executor resumes under any other. Executors register
under the `claimbench.executors` entry-point group and are chosen with `--executor SPEC`
(`serial`, or a plug-in such as a Ray executor with `ray:workers=4`).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import registry
from .model import ModelAdapter
from .options import build, parse_spec
from .requests import Request

Done = Callable[[int, list[Any]], None]


class Executor(ABC):
    """Runs batches of one request kind on a model; `Options` (a dataclass) holds its settings."""

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, options: Any, spec: str):
        self.options, self.spec = options, spec

    @abstractmethod
    def run(self, adapter: ModelAdapter, kind: str, batches: Sequence[Sequence[Request]], done: Done) -> None:
        """Serve every batch (adapter.serve contract: one response per request, in order) and call
        done(i, responses) as soon as batch i finishes, in any order; return when all are done."""

    def close(self) -> None:
        """Release workers or processes the executor started."""


class SerialExecutor(Executor):
    """All batches in this process, on the adapter itself (loaded first), through its serve_batches."""

    def run(self, adapter: ModelAdapter, kind: str, batches: Sequence[Sequence[Request]], done: Done) -> None:
        for i, out in adapter.loaded().serve_batches(kind, batches):
            done(i, out)


def load_executor(spec_text: str) -> Executor:
    """An executor from `NAME[:k=v,...]` (see `claimbench list executors`)."""
    spec = parse_spec(spec_text, "executor spec")
    cls = registry.executors.subclass(spec.name, Executor)
    return cls(build(cls.Options, spec.options, f"executor {spec_text!r}"), spec.text)
