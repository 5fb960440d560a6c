"""A plug-in as a third party would write it: a task and a model adapter, no harness edits."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.model import ModelAdapter, option
from harness.requests import Generate
from harness.task import TaskFile, TaskHooks

words_task = TaskFile(Path(__file__).with_name("words.yaml"))


class LastWordHooks(TaskHooks):
    kinds = frozenset({"generate"})

    def requests(self, row, history):
        return [] if history else [Generate(f"Repeat the last word: {row['text']}", max_tokens=4)]

    def process(self, row, history):
        return {"prediction": history[0][1], "references": [row["last"]]}


class LastWordModel(ModelAdapter):
    """Answers every prompt with its last word (upper-cased if shout=true)."""

    kinds = frozenset({"generate"})

    @dataclass(frozen=True)
    class Options:
        shout: bool = option(False)

    def serve(self, kind, requests):
        words = [r.prompt.split()[-1] for r in requests]
        return [w.upper() if self.options.shout else w for w in words]
