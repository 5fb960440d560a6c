"""`claimbench explain RUN CLAIM`: how a run's protocol differs from what a paper says it did for
one published number, and how much of the gap the differences a task option can reproduce explain.

A claim's `protocol:` states what the paper did, in the task's option names where one reproduces
it (`generation.chat: false` for a completion model, `num_fewshot: 2`) and in words where none does
(`exemplars: the paper's own prompts`). The options that differ are switched, every subset in turn,
from the run's value to the paper's (harness.explain.attribute: the run's recorded answers first,
`model` for what it never asked). That gives the run under the paper's stated protocol, and each
option's Shapley share of the move. What remains between that value and the published one lies in
what no option reproduces: the model, the rows, the scoring, and whatever the paper did not state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from claimbench.harness import protocol, results
from claimbench.harness.errors import ConfigError
from claimbench.harness.explain import MAX_OPTIONS, attribute
from claimbench.harness.model import ModelAdapter
from claimbench.harness.options import parse_spec
from claimbench.harness.results import RunResult
from claimbench.harness.task_files import load_task

from .catalog import Claim


@dataclass
class AgainstClaim:
    run: RunResult
    claim: Claim
    same: dict[str, str]                              # task options the run set as the paper did
    options: dict[str, tuple[str | None, str | None]]  # task options that differ: (the run's, the paper's)
    stated: dict[str, str]                            # what the paper states that no task option reproduces
    other: dict[str, tuple[str, str]]                 # model, metric wording, rows: (the run's, the paper's)
    measured: float | None                            # the run's value, in the claim's unit
    at_paper: float | None = None                     # the run under the paper's stated options, in the claim's unit
    shares: dict[str, float] = field(default_factory=dict)  # option -> its share of measured -> at_paper
    evaluated: list[str] = field(default_factory=list)
    why_not: str = ""                                 # why the options were not switched

    def lines(self) -> list[str]:
        c, unit = self.claim, self.claim.unit if self.claim.unit == "%" else ""
        points = " points" if unit else ""  # a difference of percentages
        out = [f"run: {self.run.model['label']} on {self.run.task['spec']}: {c.metric} {_f(self.measured, unit)}",
               f"claim: {c.paper['id']}/{c.id}: {_f(c.value, unit)} ({c.source['where']})"]
        if self.same:
            out.append("as the paper: " + "; ".join(f"{k} {v}" for k, v in self.same.items()))
        out.append("task options that differ:" if self.options else "task options that differ: none the claim states")
        out += [f"  {k}: {'(unset)' if x is None else x} (run) -> {y} (paper)" for k, (x, y) in self.options.items()]
        out.append("what no task option reproduces:")
        out += [f"  {k}: {v} (paper)" for k, v in self.stated.items()]
        out += [f"  {k}: {x} (run) vs {y} (paper)" for k, (x, y) in self.other.items()]
        if self.at_paper is not None:
            out.append(f"the run under the paper's stated options: {_f(self.at_paper, unit)} "
                       f"({len(self.evaluated)} configurations evaluated); shares of the move:")
            out += [f"  {k}: {_f(v, points, sign=True)}" for k, v in sorted(self.shares.items(), key=lambda kv: -abs(kv[1]))]
        elif self.why_not:
            out.append(f"no attribution: {self.why_not}")
        start = self.at_paper if self.at_paper is not None else self.measured
        if start is not None:
            out.append(f"left to what no task option reproduces: {_f(c.value - start, points, sign=True)} "
                       f"(published {_f(c.value, unit)} minus {_f(start, unit)})")
        return out


def _f(v: float | None, unit: str, sign: bool = False) -> str:
    if v is None:
        return "-"
    return (f"{v:+.4g}" if sign else f"{v:.4g}") + unit


def explain(run_dir: str | Path, claim: Claim, *, model: str | ModelAdapter | None = None,
            cache: str | Path | None = None) -> AgainstClaim:
    """The run against the claim's stated protocol (see the module's docstring)."""
    folder = Path(run_dir)
    run = results.read(folder)
    spec = parse_spec(run.task["spec"])
    task = load_task(run.task["spec"])
    method = protocol.current(task.config, "method")
    if spec.name != claim.task or (claim.method is not None and method != claim.method):
        raise ConfigError(f"{folder}: a run of {spec.name} (method {method}), but claim {claim.id!r} is on {claim.task} "
                          f"(method {claim.method}); explain a run of the claim's task and method.")
    if claim.metric not in run.metrics:
        raise ConfigError(f"{folder}: the run has no metric {claim.metric!r}, which claim {claim.id!r} states; "
                          f"it has {', '.join(sorted(run.metrics))}.")
    same: dict[str, str] = {}
    options: dict[str, tuple[str | None, str | None]] = {}
    stated: dict[str, str] = {}
    for key, value in claim.protocol.items():
        axis = task.protocol.get(key)
        ours, paper = protocol.current(task.config, key, axis), protocol.option_text(value)
        if axis is None and ours is None:
            stated[key] = paper
        elif ours == paper:
            same[key] = paper
        else:
            options[key] = (ours, paper)
    other = {"model": (run.model["label"], claim.model)}
    if claim.paper_metric and claim.paper_metric != claim.metric:
        other["metric"] = (claim.metric, claim.paper_metric)
    if run.config.get("limit") is not None:
        other["rows"] = (f"the first {run.config['limit']} (--limit)", "as the paper's scope says")
    value = run.metrics[claim.metric]["value"]
    found = AgainstClaim(run, claim, same, options, stated, other, None if value is None else claim.scaled(value))
    if not options:
        return found
    if len(options) > MAX_OPTIONS:
        found.why_not = f"{len(options)} options differ; attribution evaluates 2**k configurations and stops at {MAX_OPTIONS}"
        return found
    done = attribute(run.task["spec"], options, [folder], run.model, [claim.metric], limit=run.config.get("limit"),
                     seed=run.seed, model=model, cache=cache)
    end = done.values[claim.metric][frozenset(options)]
    found.evaluated = done.specs
    found.at_paper = None if end is None else claim.scaled(end)
    found.shares = {k: claim.scaled(v) for k, v in done.shares[claim.metric].items()}
    return found


def find(claims: list[Claim], text: str) -> Claim:
    """The claim named `paper/id` or, where only one paper has it, `id`."""
    hits = [c for c in claims if text in (f"{c.paper['id']}/{c.id}", c.id)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise ConfigError(f"claim id {text!r} is in several papers: name one as " + " or ".join(f"{c.paper['id']}/{c.id}" for c in hits) + ".")
    example = f", e.g. {claims[0].paper['id']}/{claims[0].id}" if claims else "; the claims files given hold none"
    raise ConfigError(f"{text!r} is neither a run folder nor a published-number claim's id (PAPER/ID{example}).")
