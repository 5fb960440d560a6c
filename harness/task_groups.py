"""Task groups: one name for a paper's table of task specs (self-ask's Table 1 is four datasets
times four methods), so `--tasks self_ask_table1` runs them all and the run ends with one table.

A group is a YAML file registered in the `claimbench.groups` entry-point group:
`group` (its name), `description`, `tasks` (task specs) and optionally `grid` (option -> values):
each task spec is run once per combination of the grid's values, as `--sweep` does.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from . import registry, yaml_files
from .errors import ConfigError
from .options import parse_spec
from .results import RunResult

T = TypeVar("T")


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    tasks: tuple[str, ...]
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def cells(self) -> list[tuple[tuple[str, str], ...]]:
        """The grid's combinations, each as (option, value) pairs; one empty cell without a grid."""
        keys = [k for k, _ in self.grid]
        return [tuple(zip(keys, combo)) for combo in itertools.product(*(values for _, values in self.grid))]

    def specs(self) -> list[str]:
        """Every task spec the group runs, task by task, grid combination by combination."""
        return [parse_spec(t, f"group {self.name!r}: task spec").merged(cell).text
                for t in self.tasks for cell in self.cells()]


@dataclass(frozen=True)
class GroupFile:
    """What a `claimbench.groups` entry point refers to: a group YAML, read on demand."""

    path: Path

    def load(self) -> Group:
        raw = yaml_files.load(self.path, "task group")
        where = f"task group {str(self.path)!r}"
        if not isinstance(raw, dict) or not isinstance(raw.get("group"), str) or not raw.get("tasks"):
            raise ConfigError(f"{where} must be a mapping with 'group' (its name) and 'tasks' (task specs).")
        grid = raw.get("grid") or {}
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise ConfigError(f"{where}: 'grid' maps a task option to a non-empty list of values.")
        return Group(raw["group"], " ".join(str(raw.get("description", "")).split()), tuple(map(str, raw["tasks"])),
                     tuple((str(k), tuple(map(str, v))) for k, v in grid.items()))


def expand(names: Sequence[T]) -> tuple[list[T | str], list[Group]]:
    """Task specs with each group name replaced by the group's specs, and the groups named; anything
    else (a spec, a Task object) passes through as it is."""
    specs: list[T | str] = []
    groups = []
    for name in names:
        if isinstance(name, str) and name in registry.groups:
            group = registry.groups.get(name).load()
            groups.append(group)
            specs.extend(group.specs())
        else:
            specs.append(name)
    return specs, groups


def table(group: Group, results: Sequence[RunResult]) -> list[str]:
    """The group's runs as one table: a row per task, a column per grid combination (or one per task
    when there is no grid), each cell the task's primary metric with its 95% CI."""
    by_spec = {r.task["spec"]: r for r in results}
    combos = [", ".join(f"{k}={v}" for k, v in cell) for cell in group.cells()] if group.grid else ["primary metric"]
    specs = group.specs()
    rows = [[t] + [_cell(by_spec.get(specs[i * len(combos) + j])) for j in range(len(combos))]
            for i, t in enumerate(group.tasks)]
    head = ["task", *combos]
    widths = [max(len(str(r[c])) for r in [head, *rows]) for c in range(len(head))]
    return [f"{group.name}: {group.description}"] + ["  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths))
                                                    for r in [head, *rows]]


def _cell(r: RunResult | None) -> str:
    if r is None:
        return "-"
    name = r.task["config"].get("primary_metric") or next(iter(r.metrics))
    m = r.metrics[name]
    if m["value"] is None:
        return f"{name} -"
    ci = f" [{m['ci'][0]:.3g}, {m['ci'][1]:.3g}]" if m["ci"] else ""
    return f"{name} {m['value']:.3g}{ci}"
