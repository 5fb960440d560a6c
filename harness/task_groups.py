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

from . import registry, yaml_files
from .errors import ConfigError
from .options import parse_spec
from .results import RunResult


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    tasks: tuple[str, ...]
    grid: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def specs(self) -> list[str]:
        """Every task spec the group runs, task by task, grid combination by combination."""
        combos = list(itertools.product(*(values for _, values in self.grid)))
        keys = [k for k, _ in self.grid]
        return [parse_spec(t, f"group {self.name!r}: task spec").merged(tuple(zip(keys, combo))).text
                for t in self.tasks for combo in combos]


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


def expand(names: Sequence[str]) -> tuple[list[str], list[Group]]:
    """Task specs with each group name replaced by the group's specs, and the groups named."""
    specs, groups = [], []
    for name in names:
        if name in registry.groups:
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
    combos = [", ".join(f"{k}={v}" for k, v in zip([k for k, _ in group.grid], c))
              for c in itertools.product(*(values for _, values in group.grid))] or ["primary metric"]
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
