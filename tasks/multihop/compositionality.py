"""The compositionality gap (Press et al. 2022): how often a model answers both
sub-questions of a two-hop question right but the two-hop question itself wrong.

    gap = #(both sub-questions right, 2-hop wrong) / #(both sub-questions right)

Reported with a paired bootstrap CI (the stderr is the binomial sqrt(p(1-p)/n) over the n
questions whose sub-questions were both right), overall and per category, together with the
three-way breakdown of all questions: both sub-questions and the 2-hop right / both
sub-questions right but the 2-hop wrong / at least one sub-question wrong. Each sample's
`fields` carry q1_correct, q2_correct, hop_correct and the grouping field (category);
`where=FLAG` restricts all of it to the samples whose field FLAG is true.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import Metric, MetricValue
from claimbench.harness.metrics.metadata import Column, MetricMetadata, View
from claimbench.harness.stats import ratio_bootstrap_ci

FIELDS = ("q1_correct", "q2_correct", "hop_correct")  # per-sample fields a task's process() sets


def gap_counts(q1: np.ndarray, q2: np.ndarray, hop: np.ndarray) -> dict:
    both = q1 & q2
    return {"n": int(q1.size), "both_subq_right": int(both.sum()),
            "both_subq_and_2hop_right": int((both & hop).sum()),
            "both_subq_right_2hop_wrong": int((both & ~hop).sum()),
            "a_subq_wrong": int((~both).sum()),
            "gap": float((both & ~hop).sum() / both.sum()) if both.any() else None}


class CompositionalityGap(Metric):
    higher_is_better = False

    @dataclass(frozen=True)
    class Options:
        by: str = "category"  # field to break the gap down by
        where: str = ""       # keep only the samples whose field WHERE is true (e.g. leak_free)

    def metadata(self) -> MetricMetadata:
        """The three-way breakdown, the gap per group, the questions to read first, and the gap
        against model size beside sub-question accuracy (Press et al.'s Figure 1)."""
        rate = ("q1_accuracy", "Q1"), ("q2_accuracy", "Q2"), ("hop_accuracy", "two-hop")
        counts = (("n", "questions"), ("both_subq_and_2hop_right", "both sub-questions and the two-hop right"),
                  ("both_subq_right_2hop_wrong", "both sub-questions right, two-hop wrong"),
                  ("a_subq_wrong", "a sub-question wrong"))
        by = self.options.by
        views = (
            View("facts", "breakdown", "breakdown", tuple(Column(f, label, "count") for f, label in counts)
                 + tuple(Column(f, label, "rate") for f, label in rate)),
            View("bars", f"by {by} (95% CI)", f"by_{by}",
                 (Column("gap", "gap", "rate"), Column("ci", "95% CI", "rate"),
                  Column("both_subq_right", "both sub-q right", "count"))
                 + tuple(Column(f, label, "rate") for f, label in rate) + (Column("n", "n", "count"),)),
            View("cases", "sub-questions right, two-hop wrong", where=(("q1_correct", 1.0), ("q2_correct", 1.0),
                                                                        ("hop_correct", 0.0))),
            View("vs_size", "against model size (95% CI), beside sub-question and two-hop accuracy",
                 also=("q1_correct", "q2_correct", "exact_match")),
        )
        return MetricMetadata("compositionality gap" + (f" [{self.options.where}]" if self.options.where else ""),
                              "of the questions whose two sub-questions were both answered right, the share whose "
                              "two-hop question was answered wrong", views)

    def __init__(self, name, options, seed: int = 0):
        if options.where:  # named like mean's filtered rates: compositionality_gap[leak_free]
            name = f"{name.split(':')[0]}[{options.where}]"
        super().__init__(name, options, seed)
        self.rows: list[tuple[bool, bool, bool, str]]
        self.add_state("rows", [], "cat")

    def _fields(self, sample: dict) -> dict | None:
        """The sample's fields, or None when `where` leaves it out."""
        fields = sample.get("fields", {})
        missing = [f for f in (*FIELDS, self.options.by, self.options.where) if f and f not in fields]
        if missing:
            raise ConfigError(f"metric {self.name!r} needs fields {missing} from the task's process() hook.")
        return None if self.options.where and not fields[self.options.where] else fields

    def update(self, sample: dict) -> None:
        fields = self._fields(sample)
        if fields is not None:
            self.rows.append((bool(fields["q1_correct"]), bool(fields["q2_correct"]), bool(fields["hop_correct"]),
                              str(fields[self.options.by])))

    def prepare(self, samples: list[dict]) -> Callable[[np.ndarray], float]:
        """The gap over the given rows: (two-hop wrong with both sub-questions right) / (both right),
        each row's two counts read from its logged fields (an unscored row counts in neither)."""
        num, den = np.zeros(len(samples)), np.zeros(len(samples))
        for i, sample in enumerate(samples):
            fields = None if "error" in sample else self._fields(sample)
            if fields is not None:
                den[i] = float(bool(fields["q1_correct"]) and bool(fields["q2_correct"]))
                num[i] = den[i] * float(not fields["hop_correct"])

        def gap(rows: np.ndarray) -> float:
            d = den[rows].sum()
            return float(num[rows].sum() / d) if d > 0 else float("nan")
        return gap

    def _summary(self, rows: list) -> dict:
        q1, q2, hop = (np.array([r[i] for r in rows], dtype=bool) for i in range(3))
        out = gap_counts(q1, q2, hop)
        both = q1 & q2
        out["ci"] = ratio_bootstrap_ci((both & ~hop).astype(float), both.astype(float), seed=self.seed)
        out["q1_accuracy"], out["q2_accuracy"] = float(q1.mean()), float(q2.mean())
        out["hop_accuracy"] = float(hop.mean())
        return out

    def compute(self) -> MetricValue:
        if not self.rows:
            if self.options.where:  # a filter may leave nothing: undefined, not an error
                return MetricValue(self.name, None, None, None, 0, self.higher_is_better)
            raise ConfigError(f"metric {self.name!r}: no sample was scored.")
        overall = self._summary(self.rows)
        groups: dict[str, list] = defaultdict(list)
        for r in self.rows:
            groups[r[3]].append(r)
        per = {g: self._summary(rs) for g, rs in sorted(groups.items())}
        se = None
        if overall["gap"] is not None and overall["both_subq_right"] > 1:
            p, n = overall["gap"], overall["both_subq_right"]
            se = float(np.sqrt(p * (1 - p) / n))
        ci = overall.pop("ci")
        return MetricValue(self.name, overall["gap"], se, tuple(ci) if ci else None, overall["both_subq_right"],
                           self.higher_is_better, extra={"breakdown": overall, f"by_{self.options.by}": per})
