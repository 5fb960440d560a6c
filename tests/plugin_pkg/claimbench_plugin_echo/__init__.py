"""A plug-in as a third party would write it: a task, a model adapter, a metric that describes
its own views, an executor and a dataset reader; no harness edits."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claimbench.harness.executors import Executor
from claimbench.harness.metrics import PerSampleMetric
from claimbench.harness.metrics.metadata import Column, MetricMetadata, View
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import Generate
from claimbench.harness.task import TaskHooks
from claimbench.harness.task_files import TaskFile

words_task = TaskFile(Path(__file__).with_name("words.yaml"))
arrows_task = TaskFile(Path(__file__).with_name("arrows.yaml"))


def read_arrow_lines(path, cfg):
    """A file format of the plug-in's own: 'text -> last' lines."""
    return [dict(zip(("text", "last"), (part.strip() for part in line.split("->"))))
            for line in path.read_text().splitlines() if line.strip()]


class LastWordHooks(TaskHooks):
    kinds = frozenset({"generate"})

    def requests(self, row, history):
        return [] if history else [Generate(f"Repeat the last word: {row['text']}", max_tokens=4)]

    def process(self, row, history):
        return {"prediction": history[0][1], "references": [row["last"]], "fields": {"length": len(row["last"])}}


class LastWordModel(ModelAdapter):
    """Answers every prompt with its last word (upper-cased if shout=true)."""

    kinds = frozenset({"generate"})

    @dataclass(frozen=True)
    class Options:
        shout: bool = option(False)

    def serve(self, kind, requests):
        words = [r.prompt.split()[-1] for r in requests]
        return [w.upper() if self.options.shout else w for w in words]


class AnswerLength(PerSampleMetric):
    """Characters in the prediction, with a per-length breakdown the report and site draw from its views."""

    unit = "number"

    def __init__(self, name, options, seed=0):
        super().__init__(name, options, seed)
        self.groups = {}

    def score(self, sample):
        return len(sample["prediction"])

    def update(self, sample):
        v = super().update(sample)
        self.groups.setdefault(str(sample["fields"]["length"]), []).append(v)
        return v

    def compute(self):
        out = super().compute()
        out.extra["by_target_length"] = {k: {"value": sum(v) / len(v), "n": len(v)} for k, v in sorted(self.groups.items())}
        return out

    def metadata(self):
        return MetricMetadata("answer length", "characters in the answer",
                              (View("bars", "by target length", "by_target_length",
                                    (Column("value", "mean length"), Column("n", "answers", "count"))),))


class LastFirstExecutor(Executor):
    """Serves the batches last first: the dispatcher must not depend on the order batches come back."""

    def run(self, adapter, kind, batches, done):
        for i in reversed(range(len(batches))):
            done(i, adapter.loaded().serve(kind, list(batches[i])))
