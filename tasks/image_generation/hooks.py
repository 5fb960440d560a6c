"""Hooks of `fid`: rows are chunks of the sample stream; each asks the generator for its images."""
from __future__ import annotations

import math

from claimbench.harness.errors import ConfigError
from claimbench.harness.options import convert
from claimbench.harness.requests import SampleImages
from claimbench.harness.task import History, TaskHooks


class GeneratedImages(TaskHooks):
    """num_samples images in chunks of `chunk`; chunk k is SampleImages(seed=k) with the task's steps/guidance/class."""

    kinds = frozenset({"sample_images"})
    param_types = {"num_samples": int, "chunk": int, "steps": int | None, "guidance": float | None, "class_label": int | None}

    def __init__(self, config):
        super().__init__(config)
        self.sampling = {"steps": self._param("steps", int | None), "guidance": self._param("guidance", float | None),
                         "class_label": self._param("class_label", int | None)}

    def _param(self, name: str, hint):
        return convert(self.config.params.get(name), hint, f"task {self.config.task!r} option {name}")

    def rows(self) -> list[dict]:
        n, chunk = self._param("num_samples", int), self._param("chunk", int)
        if n < 2 or chunk < 1:
            raise ConfigError(f"task {self.config.task!r}: num_samples must be >= 2 and chunk >= 1 (got {n}, {chunk}).")
        return [{"chunk": k, "n": min(chunk, n - k * chunk)} for k in range(math.ceil(n / chunk))]

    def requests(self, row: dict, history: History) -> list:
        if history:
            return []
        return [SampleImages(n=row["n"], seed=row["chunk"], **self.sampling)]

    def process(self, row: dict, history: History) -> dict:
        return {"prediction": "", "references": [], "fields": {"images": history[0][1]}}
