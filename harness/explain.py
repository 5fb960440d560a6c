"""`claimbench explain A B`: how two runs' protocols differ, and how much of a metric's change each
difference explains.

The differences are read from the runs' own records: the task options whose values differ
(exemplar seed, few-shot count, matching rule, decoding, chat template...), and the model,
dataset, task version, seed and row limit. When the runs share one model, dataset, version, seed
and limit, the change is attributed to the differing options: every intermediate configuration
(each subset of the options at B's values, the rest at A's) is evaluated, answered first from
the two runs' recorded responses (harness.replay) and otherwise by `model` if given, and each
option gets its Shapley value: its change averaged over every order of switching the options
from A's values to B's. The shares add up to the whole change, whatever the order.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import protocol, results
from .errors import ConfigError
from .model import ModelAdapter, load_model
from .options import Spec, parse_spec
from .records import ModelInfo
from .replay import Replay, recorded_answers
from .results import RunResult
from .runner import evaluate
from .task_files import load_task

MAX_OPTIONS = 4  # 2**4 configurations


@dataclass
class Explanation:
    a: RunResult
    b: RunResult
    options: dict[str, tuple[str | None, str | None]]  # task option -> (A's value, B's value)
    other: dict[str, tuple[Any, Any]]                  # differences outside the task options
    metrics: list[str]
    shares: dict[str, dict[str, float]] | None = None  # metric -> option -> Shapley share of its change
    evaluated: list[str] | None = None                 # the configurations evaluated, as task specs
    why_not: str = ""                                  # why no attribution was made

    def lines(self) -> list[str]:
        out = [f"A: {self.a.model['label']} on {self.a.task['spec']}", f"B: {self.b.model['label']} on {self.b.task['spec']}"]
        out.append("task options that differ:" if self.options else "task options: the same")
        out += [f"  {k}: {_v(x)} -> {_v(y)}" for k, (x, y) in self.options.items()]
        out += [f"  {k}: {x} -> {y}" for k, (x, y) in self.other.items()]
        if self.shares is None:
            out.append(f"no attribution: {self.why_not}")
        else:
            assert self.evaluated is not None
            out.append(f"attribution (Shapley shares; {len(self.evaluated)} configurations evaluated):")
        for m in self.metrics:
            va, vb = self.a.metrics[m]["value"], self.b.metrics[m]["value"]
            change = f", change {_f(vb - va)}" if va is not None and vb is not None else ""
            out.append(f"{m}: A {_f(va)}, B {_f(vb)}{change}")
            if self.shares is not None:
                out += [f"  {k}: {_f(v)}" for k, v in sorted(self.shares[m].items(), key=lambda kv: -abs(kv[1]))]
        return out


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:+.4g}" if v < 0 else f"{v:.4g}"


def _v(v: str | None) -> str:
    return "(unset)" if v is None else v


def differences(a: RunResult, b: RunResult) -> tuple[dict[str, tuple[str | None, str | None]], dict[str, tuple[Any, Any]]]:
    """(task options whose values differ, other differences of how the runs were made)."""
    spec_a, spec_b = parse_spec(a.task["spec"]), parse_spec(b.task["spec"])
    other: dict[str, tuple[Any, Any]] = {}
    if spec_a.name != spec_b.name:
        other["task"] = (spec_a.name, spec_b.name)
    pairs = {"model": (a.model["label"], b.model["label"]), "model fingerprint": (a.model["fingerprint"], b.model["fingerprint"]),
             "dataset fingerprint": (a.dataset.get("fingerprint"), b.dataset.get("fingerprint")),
             "task version": (a.task["version"], b.task["version"]), "seed": (a.seed, b.seed),
             "limit": (a.config.get("limit"), b.config.get("limit"))}
    other.update({k: (x, y) for k, (x, y) in pairs.items() if x != y})
    options: dict[str, tuple[str | None, str | None]] = {}
    if "task" not in other:
        task_a, task_b = load_task(a.task["spec"]), load_task(b.task["spec"])
        for key in dict.fromkeys([k for k, _ in spec_a.options] + [k for k, _ in spec_b.options]):
            axis = task_a.protocol.get(key)  # an unset option is what the task then does, where its axis says
            x, y = protocol.current(task_a.config, key, axis), protocol.current(task_b.config, key, axis)
            if x != y:
                options[key] = (x, y)
    return options, other


def explain(run_a: str | Path, run_b: str | Path, *, metrics: Sequence[str] = (), model: str | ModelAdapter | None = None,
            cache: str | Path | None = None) -> Explanation:
    """The runs' differences and, where they allow, each option's share of each metric's change
    (`metrics`: none given, the primary metric of B)."""
    folder_a, folder_b = Path(run_a), Path(run_b)
    a, b = results.read(folder_a), results.read(folder_b)
    metrics = list(metrics) or [b.task["config"].get("primary_metric") or next(iter(b.metrics))]
    shared = set(a.metrics) & set(b.metrics)
    if bad := [m for m in metrics if m not in shared]:
        raise ConfigError(f"--metric {bad[0]!r}: not a metric of both runs; they share {', '.join(sorted(shared))}.")
    options, other = differences(a, b)
    found = Explanation(a, b, options, other, metrics)
    if other:
        found.why_not = (f"the runs differ in {', '.join(other)}, which no task option can reproduce; attribution needs "
                         "one model, dataset, task version, seed and row limit")
        return found
    if not options:
        found.why_not = "no task option differs"
        return found
    if len(options) > MAX_OPTIONS:
        found.why_not = f"{len(options)} options differ; attribution evaluates 2**k configurations and stops at {MAX_OPTIONS}"
        return found
    attributed = attribute(a.task["spec"], options, [folder_a, folder_b], b.model, metrics, limit=a.config.get("limit"),
                           seed=a.seed, model=model, cache=cache)
    found.evaluated, found.shares = attributed.specs, attributed.shares
    return found


@dataclass
class Attribution:
    specs: list[str]                                  # the configurations evaluated, as task specs
    values: dict[str, dict[frozenset, float | None]]  # metric -> options switched to their new value -> its value
    shares: dict[str, dict[str, float]]               # metric -> option -> Shapley share ({} where a value is missing)


def attribute(spec: str, options: dict[str, tuple[str | None, str | None]], folders: Sequence[Path], record: ModelInfo,
              metrics: Sequence[str], *, limit: int | None, seed: int, model: str | ModelAdapter | None = None,
              cache: str | Path | None = None) -> Attribution:
    """Evaluate `spec` with every subset of `options` switched from its first value to its second,
    answered from the runs' recorded answers in `folders` (whose model `record` describes) and
    otherwise by `model`, and give each option its Shapley share of each metric's change."""
    recorded: dict = {}
    for folder in folders:
        recorded.update(recorded_answers(folder, results.read_samples(folder)))
    fallback = (model if isinstance(model, ModelAdapter) else load_model(model)) if model is not None else None
    adapter = Replay(recorded, folders[-1], record, fallback,
                     missing=f"a configuration asks what no run did: give --model {record['label']}")
    names = list(options)
    subsets = [frozenset(c) for n in range(len(names) + 1) for c in itertools.combinations(names, n)]
    base = parse_spec(spec)
    specs = {s: _spec(base, {k: options[k][1] for k in s}, {k: options[k][0] for k in names if k not in s}) for s in subsets}
    runs = dict(zip(subsets, evaluate(adapter, list(specs.values()), limit=limit, seed=seed, cache=cache or ":memory:")))
    values = {m: {s: runs[s].metrics[m]["value"] for s in subsets} for m in metrics}
    shares = {m: _shapley(names, {s: x for s, x in v.items() if x is not None}) if None not in v.values() else {}
              for m, v in values.items()}
    return Attribution(list(specs.values()), values, shares)


def _shapley(names: list[str], value: dict[frozenset, float]) -> dict[str, float]:
    """Each option's change of the value, averaged over every order of switching them from A to B."""
    k = len(names)
    return {i: sum(math.factorial(len(s)) * math.factorial(k - len(s) - 1) / math.factorial(k) * (value[s | {i}] - value[s])
                   for s in value if i not in s) for i in names}


def _spec(base: Spec, set_b: dict[str, str | None], set_a: dict[str, str | None]) -> str:
    """The task spec with some options at B's values and the rest at A's (an unset one left out)."""
    opts = {k: v for k, v in base.options if k not in set_b and k not in set_a}
    opts.update({k: v for k, v in {**set_a, **set_b}.items() if v is not None})
    return Spec(base.name, tuple(opts.items())).text
