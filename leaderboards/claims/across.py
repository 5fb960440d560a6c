"""Verdicts across protocols: a relational claim tested once per protocol setting that sensitivity
sweeps measured (harness.protocol), so a verdict can say whether it survives the choices the
paper left open: "holds under all 5 settings", "holds under 3 of 5", "depends on exemplar_seed".

A sweep's run is a task spec with declared axes moved (`bamboogle:method=self_ask,exemplar_seed=2`).
Runs are grouped by those moves; within a group the moves are taken off the specs, so the claim's
sides pick them as they pick the task as it is, and the claim is tested there as everywhere.
Sweep runs are kept apart from the leaderboard's runs: one code version and model per sweep.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

from claimbench.harness import protocol, registry
from claimbench.harness.options import Spec
from claimbench.harness.task_files import TaskFile

from ..entries import Entry, spec_of
from . import verdicts
from .verdicts import CONTRADICTED, HOLDS, Verdict


@cache
def _declared(task: str) -> tuple[frozenset[str], Any]:
    """The task's declared axis names and its config as its YAML states it (none and None for a
    task not registered)."""
    source = registry.tasks.get(task) if task in registry.tasks else None
    if not isinstance(source, TaskFile):
        return frozenset(), None
    config, axes = source.declared()
    return frozenset(axes), config


def moves(e: Entry) -> tuple[tuple[str, str], ...]:
    """The declared protocol axes the run's spec sets, sorted."""
    spec = spec_of(e.task_spec)
    return tuple(sorted((k, v) for k, v in spec.options if k in _declared(spec.name)[0]))


def _stripped(e: Entry) -> Entry:
    """The run with its protocol moves taken off its spec, and any option it sets to the task's own
    value (`method=direct` where direct is the default), so claims pick it as the task as it is."""
    spec = spec_of(e.task_spec)
    axes, own = _declared(spec.name)
    kept = [(k, v) for k, v in spec.options if k not in axes and (own is None or protocol.current(own, k) != v)]
    text = Spec(spec.name, tuple(kept)).text
    return dataclasses.replace(e, result=dataclasses.replace(e.result, task={**e.result.task, "spec": text}))


@dataclass
class Across:
    settings: list[tuple[dict[str, str], Verdict]]  # each protocol setting with tests, and the claim's verdict there

    @property
    def statuses(self) -> list[str]:
        return [v.status for _, v in self.settings]

    def summary(self) -> str:
        n, held, against = len(self.settings), self.statuses.count(HOLDS), self.statuses.count(CONTRADICTED)
        if held == n or against == n:
            return f"{'holds' if held == n else 'contradicted'} under all {n} settings"
        open_ = n - held - against
        words = [f"holds under {held} of {n} settings"] + ([f"contradicted under {against}"] if against else []) + (
            [f"inconclusive under {open_}"] if open_ else [])
        if depends := self.depends_on():
            words.append(f"depends on {', '.join(depends)}")
        return "; ".join(words)

    def depends_on(self) -> list[str]:
        """The axes along which the verdict turns: two settings that differ in that axis alone (the
        others equal) where the claim holds in one and is contradicted in the other. Inconclusive
        beside either says only that the sweep cannot tell, not that the axis matters."""
        found = set()
        for i, (a, va) in enumerate(self.settings):
            for b, vb in self.settings[i + 1:]:
                differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
                if len(differ) == 1 and {va.status, vb.status} == {HOLDS, CONTRADICTED}:
                    found |= differ
        return sorted(found)


def evaluate(relation, sweep_entries: list[Entry], seed: int = 0) -> Across | None:
    """The claim tested in each protocol setting of the sweeps' runs; None when fewer than two
    settings have runs the claim applies to."""
    groups: dict[tuple[tuple[str, str], ...], list[Entry]] = {}
    for e in sweep_entries:
        groups.setdefault(moves(e), []).append(_stripped(e))
    tested = []
    for setting, runs in sorted(groups.items()):
        verdict = verdicts.evaluate(relation, runs, seed)
        if verdict.tests:
            tested.append((dict(setting), verdict))
    return Across(tested) if len(tested) > 1 else None
