"""Protocol sensitivity: how far a task's numbers move when its declared protocol choices move
(harness/protocol.py), set beside the row-bootstrap CI that one run reports.

A sweep evaluates the task once per setting (one axis at a time from the task's own values, or
the full grid) through `evaluate`, so every response already cached or recorded is reused. For
each metric it reports the value per setting, the spread across settings (range and SD) and the
axis whose moves change it most. From a finished run, the run's recorded answers stand in for its
model (harness.replay): settings that ask nothing new (a matching rule) need no model at all.
"""
from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic, protocol, results, safe_paths
from .errors import ConfigError
from .model import ModelAdapter, load_model
from .options import parse_spec
from .replay import Replay, recorded_answers
from .results import RunResult
from .runner import DEFAULT_SEED, evaluate
from .task_files import load_task


@dataclass
class Sweep:
    model: str                        # the model's label
    task: str                         # the base task spec
    axes: dict[str, tuple[str, ...]]  # the axes moved, with their values
    defaults: dict[str, str | None]   # the task's own value of each (None: unset)
    grid: bool
    settings: list[dict[str, str]]    # each setting's moves off the defaults ({} first: the task as it is)
    runs: list[RunResult]             # one per setting

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per metric: the default's value and CI, every setting's value, the range and SD across
        settings, the range each axis causes (others at their defaults; in a grid, the mean over the
        other axes' combinations) and the axis that moves it most."""
        out = {}
        for name, m in self.runs[0].metrics.items():
            values = [r.metrics[name]["value"] if name in r.metrics else None for r in self.runs]
            seen = [v for v in values if v is not None]
            by_axis = {axis: _axis_range(self.settings, values, axis, self.grid) for axis in self.axes}
            moved = {a: v for a, v in by_axis.items() if v}  # an axis that moves it not at all is never "most"
            out[name] = {"value": m["value"], "ci": m["ci"], "values": values,
                         "range": max(seen) - min(seen) if seen else None,
                         "sd": statistics.stdev(seen) if len(seen) > 1 else None,
                         "by_axis": by_axis, "most": max(moved, key=lambda a: moved[a]) if moved else None}
        return out

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "task": self.task, "grid": self.grid, "axes": {k: list(v) for k, v in self.axes.items()},
                "defaults": self.defaults,
                "settings": [{"moves": s, "spec": r.task["spec"], "config_hash": r.task["config_hash"],
                              "metrics": {k: {"value": m["value"], "ci": m["ci"]} for k, m in r.metrics.items()}}
                             for s, r in zip(self.settings, self.runs)],
                "summary": self.summary()}


def _axis_range(settings: list[dict[str, str]], values: list[float | None], axis: str, grid: bool) -> float | None:
    """How far moving `axis` alone moves a metric (see Sweep.summary)."""
    groups: dict[str, list[float]] = {}
    for s, v in zip(settings, values):
        if v is None or (not grid and any(k != axis for k in s)):
            continue
        others = json.dumps({k: x for k, x in s.items() if k != axis}, sort_keys=True)
        groups.setdefault(others, []).append(v)
    ranges = [max(g) - min(g) for g in groups.values() if len(g) > 1]
    return statistics.fmean(ranges) if ranges else None


def run(task: str | None = None, model: str | ModelAdapter | None = None, *, from_run: str | Path | None = None,
        axes: Sequence[str] = (), grid: bool = False, limit: int | None = None, seed: int | None = None,
        cache: str | Path | None = None, output: str | Path | None = None, progress: bool = False) -> Sweep:
    """Sweep the declared protocol axes of `task` on `model`; or, with `from_run` (a finished run's
    folder), of the run's task on the run's model, its recorded answers first (`model`, if given,
    answers what the run never asked). `axes`: NAME or NAME=V1,V2 (none: every declared axis)."""
    adapter: str | ModelAdapter
    if from_run is not None:
        folder = Path(from_run)
        old = results.read(folder)
        if task is not None or limit is not None or seed is not None:
            raise ConfigError("a sweep from a run takes the run's task, row limit and seed; drop --task, --limit and --seed.")
        task, limit, seed = old.task["spec"], old.config.get("limit"), old.seed
        fallback = (model if isinstance(model, ModelAdapter) else load_model(model)) if model is not None else None
        adapter = Replay(recorded_answers(folder, results.read_samples(folder)), folder, old.model, fallback,
                         missing=f"this setting asks the model something its run did not: give --model {old.model['label']}")
    elif task is None or model is None:
        raise ConfigError("claimbench sensitivity needs a finished run's folder, or --model and --task.")
    else:
        adapter = model
    base = load_task(task)
    if not base.protocol:
        raise ConfigError(f"task {base.label!r} declares no protocol axes (a `protocol:` section in its YAML), so there "
                          "is nothing to sweep.")
    varied = protocol.chosen(base.protocol, axes)
    defaults = {name: protocol.current(base.config, name, base.protocol[name]) for name in varied}
    settings = protocol.settings(varied, defaults, grid)
    specs = [parse_spec(task, "task spec").merged(s).text if s else task for s in settings]
    try:
        runs = evaluate(adapter, specs, limit=limit, seed=DEFAULT_SEED if seed is None else seed, cache=cache, progress=progress,
                        output=Path(output) / "runs" if output is not None else None)
    except FileNotFoundError as e:  # a recorded response that names a file (generated images) made elsewhere
        if from_run is None:
            raise
        raise ConfigError(f"{from_run}: its recorded responses refer to {e.filename}, which is not on this machine; sweep "
                          "where the run was made, or give --model and --task to make them again.") from None
    sweep = Sweep(runs[0].model["label"], base.label, dict(varied), defaults, grid, settings, runs)
    if output is not None:
        atomic.write_text(Path(output) / "sensitivity.json", json.dumps(sweep.to_json(), indent=1) + "\n")
    return sweep


def default_output(model_label: str, task: str) -> Path:
    return Path("runs") / "sensitivity" / safe_paths.folder_name(model_label) / safe_paths.folder_name(task)


def lines(sweep: Sweep, metrics: Sequence[str] = ()) -> list[str]:
    """The sweep as text: per metric, the task's own value with its CI, each setting's value, and
    the spread against the CI."""
    out = [f"{sweep.model} on {sweep.task}: {len(sweep.settings)} settings ({'grid' if sweep.grid else 'one axis at a time'})"]
    labels = ["as the task is"] + [", ".join(f"{k}={v}" for k, v in s.items()) for s in sweep.settings[1:]]
    width = max(map(len, labels))
    for name, s in sweep.summary().items():
        if metrics and name not in metrics:
            continue
        ci = s["ci"]
        out.append(f"\n{name}: row CI {_f(ci[0])}..{_f(ci[1])} (width {_f(ci[1] - ci[0])})" if ci else f"\n{name}:")
        out += [f"  {label.ljust(width)}  {_f(v)}" for label, v in zip(labels, s["values"])]
        if s["range"] is not None:
            moved = ", ".join(f"{a} {_f(r)}" for a, r in s["by_axis"].items() if r is not None)
            out.append(f"  spread: range {_f(s['range'])}, SD {_f(s['sd'])}; by axis: {moved or '-'}"
                       + (f"; most: {s['most']}" if s["most"] else ""))
    return out


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"
