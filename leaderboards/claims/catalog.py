"""The claims registry (leaderboards/claims/<paper>.yaml): papers' published numbers, and
relations between measurements that any model can test.

A number (`claims:`) is comparable with a run when task, method, model and metric all match;
only then is a difference computed and held against the claim's tolerance. Runs of other
models on the same task, method and metric are listed beside it as context, never compared.
A relation (`relations:`: ordering, parity, threshold or trend) is tested on whatever runs
are present and gets a verdict (verdicts.py).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from claimbench.harness import yaml_files
from claimbench.harness.errors import ConfigError

from ..entries import Entry
from .evidence import Side

CLAIMS_DIR = Path(__file__).parent
SCHEMA = Path(__file__).with_name("claims.schema.json")
_REQUIRED = ("id", "source", "task", "model", "metric", "value", "unit", "tolerance")


@dataclass(frozen=True)
class Claim:
    id: str
    paper: dict
    source: dict           # {where, quote}: what in the paper's version (paper["version"]) it rests on
    task: str
    method: str | None
    model: str
    metric: str
    value: float
    unit: str
    tolerance: float
    paper_metric: str = ""
    approximate: bool = False
    note: str = ""
    protocol: dict = field(default_factory=dict)  # how the paper made it, where it says so (option -> value, or words)

    def scaled(self, measured: float) -> float:
        """A measured value in the claim's unit (results hold rates as fractions)."""
        return measured * 100 if self.unit == "%" else measured


@dataclass
class Check:
    claim: Claim
    comparable: list[tuple[Entry, float]] = field(default_factory=list)  # (run, measured in the claim's unit)
    context: list[tuple[Entry, float]] = field(default_factory=list)     # same task/method/metric, other models

    @property
    def status(self) -> str:
        if not self.comparable:
            return "no comparable run"
        return "within tolerance" if all(abs(v - self.claim.value) <= self.claim.tolerance
                                         for _, v in self.comparable) else "outside tolerance"


SIDES = {"ordering": ("greater", "less"), "parity": ("a", "b"), "threshold": ("side",), "trend": ("runs",)}
_OWNER = {field: kind for kind, fields in {"ordering": ("greater", "less", "margin"), "parity": ("a", "b"),
                                           "threshold": ("side", "below", "above"),
                                           "trend": ("runs", "axis", "direction", "log_x")}.items()
          for field in fields}  # the fields only one kind uses (tolerance: parity and trend)


@dataclass(frozen=True)
class Relation:
    """A relational claim: what the paper states, where, on which models, and how to test it."""

    id: str
    paper: dict
    kind: str
    statement: str
    source: dict           # {where, quote}, as for a Claim
    paper_scope: str
    sides: dict[str, Side]
    margin: float = 0.0
    tolerance: float = 0.0
    below: float | None = None
    above: float | None = None
    axis: str = ""
    direction: str = ""
    log_x: bool = False
    note: str = ""
    transfer: str = ""  # the test lies beyond the paper's scope (another dataset): say where

    @property
    def measures(self) -> str:
        return ", ".join(dict.fromkeys(s.measures for s in self.sides.values()))


def _relation(raw: dict, paper: dict, path: Path) -> Relation:
    kind = raw["kind"]
    where = f"claims file {path}: relation {raw['id']!r} ({kind})"
    stray = [k for k in raw if _OWNER.get(k, kind) != kind]
    if stray:
        raise ConfigError(f"{where} has {stray}, which a {kind} claim does not use; remove them.")
    if kind == "threshold" and (("below" in raw) == ("above" in raw)):
        raise ConfigError(f"{where} needs exactly one of 'below' or 'above'.")
    if kind == "trend" and raw["direction"] in ("increasing", "decreasing") and raw.get("tolerance"):
        raise ConfigError(f"{where}: a strict {raw['direction']} trend takes no tolerance; "
                          "use non_decreasing or non_increasing for a trend that may stay flat within one.")
    sides = {name: Side.from_yaml(raw[name], raw.get("metric"), raw.get("quantity")) for name in SIDES[kind]}
    fields = {k: v for k, v in raw.items() if k not in (*SIDES[kind], "metric", "quantity")}
    return Relation(paper=paper, sides=sides, **fields)


def load(paths: list[str | Path] | None = None) -> list[Claim]:
    """Published-number claims from YAML files or folders of them (default: leaderboards/claims/)."""
    return [c for c in load_all(paths) if isinstance(c, Claim)]


def relations(paths: list[str | Path] | None = None) -> list[Relation]:
    """Relational claims from the same files."""
    return [c for c in load_all(paths) if isinstance(c, Relation)]


def load_all(paths: list[str | Path] | None = None) -> list[Claim | Relation]:
    """Every claim and relation of the YAML files or folders (default: leaderboards/claims/)."""
    files: list[Path] = []
    for p in map(Path, paths or [CLAIMS_DIR]):
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")))
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"claims: {str(p)!r} is neither a YAML file nor a folder of them.")
    claims: list[Claim | Relation] = []
    for f in files:
        claims.extend(_load_file(f))
    dupes = sorted(i for i, n in Counter(f"{c.paper['id']}/{c.id}" for c in claims).items() if n > 1)
    if dupes:
        raise ConfigError(f"claims: ids {dupes} appear twice; give every claim of a paper its own id.")
    return claims


def _load_file(path: Path) -> list[Claim | Relation]:
    data = yaml_files.load(path, "claims file")
    try:
        jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise ConfigError(f"claims file {path} breaks {SCHEMA.name} at {where}: {e.message}") from None
    out: list[Claim | Relation] = []
    for i, raw in enumerate(data.get("claims", [])):
        fields = {**data.get("defaults", {}), **raw}
        fields["protocol"] = {**data.get("defaults", {}).get("protocol", {}), **raw.get("protocol", {})}
        missing = [k for k in _REQUIRED if k not in fields]
        if missing:
            raise ConfigError(f"claims file {path}: claim #{i + 1} ({fields.get('id', 'no id')}) lacks {missing}; "
                              "give them in the claim or under defaults.")
        fields.setdefault("method", None)
        out.append(Claim(paper=data["paper"], **fields))
    out.extend(_relation(raw, data["paper"], path) for raw in data.get("relations", []))
    return out


def check(claims: list[Claim], entries: list[Entry]) -> list[Check]:
    """Each claim with its comparable runs (same model) and context runs (other models)."""
    checks = []
    for claim in claims:
        c = Check(claim)
        for e in entries:
            m = e.metric(claim.metric)
            if e.task_name != claim.task or e.method != claim.method or m is None or m["value"] is None:
                continue
            target = c.comparable if e.model_name.lower() == claim.model.lower() else c.context
            target.append((e, claim.scaled(m["value"])))
        checks.append(c)
    return checks
