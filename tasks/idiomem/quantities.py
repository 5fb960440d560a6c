"""Logit-lens quantities for claims about how memorized idioms are recalled (Haviv et al. 2023:
memorized targets are promoted to the top early, then upper layers raise the model's confidence).

Both read each sample's `fields.lens` (the target's rank and probability at every layer, as
lens_curves.py does); a run made without lens requests (idiomem:lens=false) has none and is
refused with that reason. Depths are relative: layer / layers, the output layer being 1.0.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.quantities import Quantity

from .lens_curves import first_median_top1_layer


def lens_arrays(samples: list[dict], field: str, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, probs) as (samples, layers) arrays; a sample without the lens field is a row of NaN."""
    present = [s.get("fields", {}).get(field) for s in samples]
    layers = {len(p["ranks"]) for p in present if isinstance(p, dict)}
    if not layers:
        raise ConfigError(f"quantity {quantity!r}: no sample of this run carries {field!r} (a run without "
                          "token_lens requests, e.g. idiomem:lens=false or a backend without the logit lens).")
    if len(layers) > 1:
        raise ConfigError(f"quantity {quantity!r}: samples have {sorted(layers)} layers; one run must use one model.")
    n = layers.pop()
    ranks = np.full((len(samples), n), np.nan)
    probs = np.full((len(samples), n), np.nan)
    for i, p in enumerate(present):
        if isinstance(p, dict):
            ranks[i], probs[i] = p["ranks"], p["probs"]
    return ranks, probs


class LensTop1Depth(Quantity):
    """Relative depth of the first layer where the median rank of the target is 1 (inf: never)."""

    @dataclass(frozen=True)
    class Options:
        field: str = "lens"

    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float]:
        ranks, _ = lens_arrays(samples, self.options.field, self.name)
        layers = ranks.shape[1]

        def depth(idx: np.ndarray) -> float:
            rows = ranks[idx]
            rows = rows[~np.isnan(rows[:, 0])]
            if not rows.size:
                return float("nan")
            layer = first_median_top1_layer(rows)
            return layer / layers if layer else float("inf")
        return depth


class LensProbGain(Quantity):
    """Mean probability of the target at the output layer minus at relative depth `from_depth`:
    how much the upper layers raise the model's confidence."""

    @dataclass(frozen=True)
    class Options:
        from_depth: float = 0.75
        field: str = "lens"

        def __post_init__(self) -> None:
            if not 0 < self.from_depth < 1:
                raise ConfigError(f"quantity 'lens_prob_gain': from_depth must lie in (0, 1), got {self.from_depth}.")

    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float]:
        _, probs = lens_arrays(samples, self.options.field, self.name)
        start = max(1, round(self.options.from_depth * probs.shape[1])) - 1  # 0-based layer at that depth
        gain = probs[:, -1] - probs[:, start]

        def mean_gain(idx: np.ndarray) -> float:
            values = gain[idx]
            values = values[~np.isnan(values)]
            return float(values.mean()) if values.size else float("nan")
        return mean_gain
