"""Experiment logging through plug-ins: after each task, its result goes to the trackers the run names.

`--log-to mlflow:tracking_uri=...` (repeatable) or `evaluate(..., loggers=[...])`. A logger is
an `ExperimentLogger` subclass registered in the `claimbench.loggers` entry-point group (ours:
`mlflow`, `wandb`, extra `loggers`); it receives the finished RunResult and its results folder.
What a logger sends is one flat record, built here so every tracker holds the same: the run's
identity and config as parameters, every metric with its CI, stderr and n, and the results
file and per-sample log as artifacts.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import registry
from .options import build, parse_spec
from .results import RunResult


class ExperimentLogger:
    """Sends finished task results to an experiment tracker; subclasses set `Options` and `log`."""

    @dataclass(frozen=True)
    class Options:
        pass

    def __init__(self, options: Any):
        self.options = options

    def log(self, result: RunResult, folder: Path | None) -> None:
        """Record one finished task (`folder`: where its results.json and samples log lie, if written)."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush and release what the tracker holds."""


def load_loggers(specs: Sequence[str]) -> list[ExperimentLogger]:
    """The loggers `specs` name (`NAME[:k=v,...]`), built and checked before any model work."""
    out = []
    for text in specs:
        spec = parse_spec(text, "logger")
        cls = registry.loggers.subclass(spec.name, ExperimentLogger)
        out.append(cls(build(cls.Options, spec.options, f"logger {spec.name!r}")))
    return out


def params(result: RunResult) -> dict[str, str]:
    """The run's identity and config, flat: what a tracker shows as parameters."""
    t, m, d = result.task, result.model, result.dataset
    flat = {"task": t["spec"], "task_name": t["name"], "task_version": t["version"], "task_config_hash": t["config_hash"],
            "model": m["label"], "model_spec": m["spec"], "model_fingerprint": m["fingerprint"], "adapter": m["adapter"],
            "dataset": d["name"], "dataset_fingerprint": d["fingerprint"], "rows_evaluated": str(d["rows_evaluated"]),
            "seed": str(result.seed), "limit": str(result.config.get("limit")),
            "claimbench": str(result.environment.get("packages", {}).get("claimbench"))}
    for key, value in (t["config"].get("generation") or {}).items():
        flat[f"generation.{key}"] = str(value)
    return flat


def metrics(result: RunResult) -> dict[str, float]:
    """Every metric's value, CI bounds, stderr and n, under `name`, `name.ci_low`, ...; names keep
    to the characters trackers accept (others become '_': `top_k_error:k=1` is `top_k_error_k_1`);
    a name whose key another name took gets its sha256's first 8 hex digits appended."""
    out: dict[str, float] = {}
    taken: set[str] = set()
    for name, m in result.metrics.items():
        key = re.sub(r"[^\w.\-/ ]", "_", name)
        if key in taken:
            key += "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
        taken.add(key)
        if m["value"] is not None:
            out[key] = float(m["value"])
        if m["ci"]:
            out[f"{key}.ci_low"], out[f"{key}.ci_high"] = float(m["ci"][0]), float(m["ci"][1])
        if m["stderr"] is not None:
            out[f"{key}.stderr"] = float(m["stderr"])
        out[f"{key}.n"] = float(m["n"])
    return out


def artifacts(folder: Path | None) -> list[Path]:
    """The files a run wrote for one task (results.json and the per-sample log), if it wrote any."""
    if folder is None:
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith(("results.json", "samples.jsonl")))
