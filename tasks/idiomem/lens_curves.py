"""Per-layer logit-lens curves, grouped (Haviv et al. 2022: memorized vs not memorized).

Each sample's `fields.lens` is a token_lens response: the target's rank and probability
at every layer (samples without it, from a run that made no lens requests, are
left out). Per group of the field `by`, and for all samples together, per layer:
median rank, mean probability, and the share of samples with the target at rank 1.
A curve is the result, not a number, so the value is None and the curves sit in `extra`
(layers are 1-based; the last is the model's output). Also per group: the first layer
where the median rank reaches 1, the layer where the target is first promoted to the top.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import Metric, MetricValue
from claimbench.harness.metrics.metadata import Column, View


def first_median_top1_layer(ranks: np.ndarray) -> int | None:
    """The first layer (1-based) where the median rank over the samples is 1; None: never."""
    top = np.flatnonzero(np.median(ranks, axis=0) == 1)
    return int(top[0]) + 1 if top.size else None


def curves(ranks: np.ndarray, probs: np.ndarray) -> dict:
    """ranks, probs: (samples, layers) arrays -> the per-layer summaries of one group."""
    median = np.median(ranks, axis=0)
    return {"n": int(ranks.shape[0]), "median_rank": median.tolist(), "mean_prob": probs.mean(axis=0).tolist(),
            "top1_share": (ranks == 1).mean(axis=0).tolist(),
            "first_median_top1_layer": first_median_top1_layer(ranks)}


class LensCurves(Metric):
    """Per layer, the median rank, mean probability and top-1 share of the target token under the
    logit lens, per group (memorized or not)."""

    display_name = "logit-lens curves"
    views = (View("curves", "the target layer by layer", "groups",
                  (Column("median_rank", "median rank of the target", "rank"),
                   Column("mean_prob", "mean probability of the target", "number"))),)

    @dataclass(frozen=True)
    class Options:
        by: str = "memorized"
        field: str = "lens"

    def __init__(self, name, options, seed: int = 0):
        super().__init__(name, options, seed)
        self.rows: list[tuple[str, list[int], list[float]]]
        self.add_state("rows", [], "cat")

    def update(self, sample: dict) -> None:
        fields = sample.get("fields", {})
        if self.options.by not in fields:
            raise ConfigError(f"metric {self.name!r} groups by field {self.options.by!r}, which the task's process() did not set.")
        if self.options.field not in fields:  # a run without lens requests (idiomem:lens=false)
            return
        lens = fields[self.options.field]
        if self.rows and len(lens["ranks"]) != len(self.rows[0][1]):
            raise ConfigError(f"metric {self.name!r}: samples have {len(self.rows[0][1])} and {len(lens['ranks'])} layers; "
                              "one run must use one model.")
        self.rows.append((str(fields[self.options.by]), lens["ranks"], lens["probs"]))

    def compute(self) -> MetricValue:
        if not self.rows:
            return MetricValue(self.name, None, None, None, 0, True,
                               {"note": f"no sample carried {self.options.field!r}: this run made no token_lens requests."})
        ranks = np.array([r[1] for r in self.rows], dtype=float)
        probs = np.array([r[2] for r in self.rows], dtype=float)
        keys = np.array([r[0] for r in self.rows])
        groups = {k: curves(ranks[keys == k], probs[keys == k]) for k in sorted(set(keys.tolist()))}
        return MetricValue(self.name, None, None, None, len(self.rows), True,
                           {"layers": int(ranks.shape[1]), "by": self.options.by, "all": curves(ranks, probs), "groups": groups},
                           unit="number")
