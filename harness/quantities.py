"""Derived quantities: numbers a claim is about that no metric reports (the relative depth at
which a target is first promoted to the top under the logit lens, say).

A quantity is registered under the `claimbench.quantities` entry-point group, by the task
family whose samples it reads, and named in claims as `name` or `name:k=v`. `prepare(samples)`
reads a run's logged samples once and returns a function of row indices, so a claim can
recompute it on every bootstrap resample without rereading the log.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import registry
from .options import build, parse_spec


class Quantity(ABC):
    """A number computed from a run's samples; `Options` (a dataclass) holds its parameters."""

    unit: ClassVar[str] = "number"   # "rate" (shown in percent) or "number"

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, name: str, options: Any):
        self.name, self.options = name, options

    @abstractmethod
    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float]:
        """The quantity as a function of indices into `samples` (repeats allowed: a resample)."""


def make_quantity(spec_text: str) -> Quantity:
    """A registered quantity from `name` or `name:k=v,...`."""
    spec = parse_spec(spec_text, "quantity")
    cls = registry.quantities.subclass(spec.name, Quantity)
    return cls(spec.text, build(cls.Options, spec.options, f"quantity {spec.name!r}"))
