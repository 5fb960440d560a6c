"""Parameter sweeps: one run per cell of a grid of task overrides (e.g. steps x guidance),
and a grid file that puts every cell's metrics side by side for plotting (FID vs steps)."""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from . import atomic
from .errors import ConfigError
from .results import RunResult


def parse_axes(items: Sequence[str]) -> dict[str, list[str]]:
    """['steps=1,2,4', 'guidance=0,3'] -> {'steps': ['1','2','4'], 'guidance': ['0','3']}."""
    axes: dict[str, list[str]] = {}
    for item in items:
        key, eq, values = item.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not eq or not key.strip() or not vals:
            raise ConfigError(f"--sweep {item!r}: expected KEY=V1,V2,... (e.g. --sweep steps=1,2,4,8).")
        if key.strip() in axes:
            raise ConfigError(f"--sweep names {key.strip()!r} twice; give all its values in one --sweep.")
        axes[key.strip()] = vals
    return axes


def cells(axes: dict[str, list[str]]) -> list[dict[str, str]]:
    return [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]


def cell_spec(task_spec: str, cell: dict[str, str]) -> str:
    extra = ",".join(f"{k}={v}" for k, v in cell.items())
    return f"{task_spec},{extra}" if ":" in task_spec else f"{task_spec}:{extra}"


def write_grid(path: Path, axes: dict[str, list[str]], runs: list[tuple[str, dict[str, str], RunResult]]) -> None:
    """grid.json: the axes and, per cell, the task spec and every metric's value and CI."""
    grid = {"axes": axes, "cells": [
        {"task": task, "cell": cell, "spec": r.task["spec"],
         "metrics": {name: {"value": m["value"], "ci": m["ci"]} for name, m in r.metrics.items()}}
        for task, cell, r in runs]}
    atomic.write_text(path, json.dumps(grid, indent=1) + "\n")
