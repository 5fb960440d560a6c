"""The words reports show for a run's metrics: today's, where the installed task has the run's version.

results.json records each metric's metadata as measured, and values, units and views always
render from it. Names and descriptions are words, not measurements: where the installed task
has the run's version (the same protocol), its metrics are rebuilt from the run's recorded
config (metric specs and params, its hooks' words for their fields) and their current name and
description are shown, so a clearer sentence reaches runs already published. A run of another
version, or whose task or metric is not installed, keeps its recorded words.
"""
from __future__ import annotations

import dataclasses
import json

from claimbench.harness import registry
from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics.base import make_metric
from claimbench.harness.results import RunResult
from claimbench.harness.task import load_hooks, metric_specs
from claimbench.harness.task_files import TaskFile

_CURRENT: dict[str, dict[str, tuple[str, str]]] = {}


def current(task: dict) -> dict[str, tuple[str, str]]:
    """{metric name: (display name, description)} of today's metrics for a recorded task, or {}
    when the installed task is another version (or not installed)."""
    key = json.dumps([task["name"], task["version"], task["config"]], sort_keys=True, default=str)
    if key not in _CURRENT:
        _CURRENT[key] = _rebuild(task)
    return _CURRENT[key]


def _rebuild(task: dict) -> dict[str, tuple[str, str]]:
    config = task["config"]
    try:
        source = registry.tasks.get(task["name"])
        if not isinstance(source, TaskFile) or source.config().version != task["version"]:
            return {}
        words = load_hooks(config["hooks"], task["name"]).fields if config.get("hooks") else {}
        out = {}
        for spec in metric_specs(list(config["metrics"]), config.get("params") or {}, task["name"]):
            metric = make_metric(spec)
            metric.field_words = words
            meta = metric.metadata()
            out[metric.name] = (meta.display_name, meta.description)
        return out
    except (ConfigError, KeyError, ImportError):  # a task or metric no longer installed as recorded
        return {}


def refreshed(result: RunResult) -> RunResult:
    """`result` with today's names and descriptions in its metrics' metadata (see the module docstring)."""
    words = current(dict(result.task))
    if not words:
        return result
    metrics = {}
    for name, m in result.metrics.items():
        if name in words and m.get("metadata"):
            display, description = words[name]
            m = {**m, "metadata": {**m["metadata"], "display_name": display, "description": description}}
        metrics[name] = m
    return dataclasses.replace(result, metrics=metrics)
