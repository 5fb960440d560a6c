"""A new request kind end to end, as a third party adds one: the kind (`count_letters`), a model
that serves it, a task that asks it, and a metric whose view is a kind of its own (`histogram`),
drawn in reports and on the leaderboard site. Nothing in ClaimBench is edited."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import PerSampleMetric
from claimbench.harness.metrics.metadata import MetricMetadata, View
from claimbench.harness.model import ModelAdapter
from claimbench.harness.requests import Request
from claimbench.harness.task import TaskHooks
from claimbench.harness.task_files import TaskFile
from claimbench.reports.plots import new_figure, to_data_uri
from claimbench.reports.views import ViewKind

letters_task = TaskFile(Path(__file__).with_name("letters.yaml"))


@dataclass(frozen=True)
class CountLetters(Request):
    """How many times `letter` occurs in `text`."""

    text: str
    letter: str

    kind: ClassVar[str] = "count_letters"
    response_doc: ClassVar[str] = "an integer >= 0"

    def __post_init__(self) -> None:
        if len(self.letter) != 1:
            raise ConfigError(f"count_letters.letter must be one character, got {self.letter!r}.")

    def _valid(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class CountLettersHooks(TaskHooks):
    kinds = frozenset({"count_letters"})

    def requests(self, row, history):
        return [] if history else [CountLetters(row["text"], row["letter"])]

    def process(self, row, history):
        return {"prediction": history[0][1], "references": [row["count"]]}


class CaseSensitiveCounter(ModelAdapter):
    """Counts with str.count, so a capital letter is missed: its errors are what the metric shows."""

    kinds = frozenset({"count_letters"})

    def serve(self, kind, requests):
        return [r.text.count(r.letter) for r in requests]


class CountError(PerSampleMetric):
    """Absolute error of the count, with a histogram of the errors."""

    unit = "number"
    higher_is_better = False

    def score(self, sample):
        return abs(sample["prediction"] - sample["references"][0])

    def compute(self):
        out = super().compute()
        out.extra["errors"] = {str(int(k)): n for k, n in sorted(Counter(self.values).items())}
        return out

    def metadata(self):
        return MetricMetadata("count error", "absolute error of the letter count", (View("histogram", "errors", "errors"),))


class Histogram(ViewKind):
    """A bar per value of a {value: count} mapping: one run's in a report, every run's on the site."""

    def report(self, title, metric, view, rows):
        data = metric.get("extra", {}).get(view["source"])
        return {"kind": "plot", "plot": _bars(title, {"this run": data})} if data else None

    def site(self, entries, name, view):
        runs = {e.model_label: e.metric(name)["extra"][view["source"]] for e in entries if e.metric(name)}
        return _bars(view["title"], runs) if runs else None


def _bars(title: str, runs: dict[str, dict[str, int]]) -> str:
    fig, (ax,) = new_figure()
    width = 0.8 / len(runs)
    for i, (label, counts) in enumerate(runs.items()):
        ax.bar([int(k) + i * width for k in counts], list(counts.values()), width, label=label)
    ax.set_title(title)
    ax.set_xlabel("absolute error")
    ax.set_ylabel("samples")
    ax.legend()
    return to_data_uri(fig)
