"""The claims registry: papers' published numbers (leaderboards/claims/<paper>.yaml) and
their check against measured runs.

A claim is comparable with a run when task, method, model and metric all match; only then
is a difference computed and held against the claim's tolerance. Runs of other models on
the same task, method and metric are listed beside it as context, never compared.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

from harness.errors import ConfigError

from .entries import Entry

CLAIMS_DIR = Path(__file__).with_name("claims")
SCHEMA = Path(__file__).with_name("schemas") / "claims.schema.json"
_REQUIRED = ("id", "table", "task", "model", "metric", "value", "unit", "tolerance")


@dataclass(frozen=True)
class Claim:
    id: str
    paper: dict
    table: str
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


def load(paths: list[str | Path] | None = None) -> list[Claim]:
    """Claims from YAML files or folders of them (default: leaderboards/claims/)."""
    files: list[Path] = []
    for p in map(Path, paths or [CLAIMS_DIR]):
        if p.is_dir():
            files.extend(sorted(p.glob("*.yaml")))
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"claims: {str(p)!r} is neither a YAML file nor a folder of them.")
    claims: list[Claim] = []
    for f in files:
        claims.extend(_load_file(f))
    dupes = sorted(i for i, n in Counter(f"{c.paper['id']}/{c.id}" for c in claims).items() if n > 1)
    if dupes:
        raise ConfigError(f"claims: ids {dupes} appear twice; give every claim of a paper its own id.")
    return claims


def _load_file(path: Path) -> list[Claim]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"claims file {path} is not valid YAML: {e}") from None
    try:
        jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise ConfigError(f"claims file {path} breaks {SCHEMA.name} at {where}: {e.message}") from None
    out = []
    for i, raw in enumerate(data["claims"]):
        fields = {**data.get("defaults", {}), **raw}
        missing = [k for k in _REQUIRED if k not in fields]
        if missing:
            raise ConfigError(f"claims file {path}: claim #{i + 1} ({fields.get('id', 'no id')}) lacks {missing}; "
                              "give them in the claim or under defaults.")
        fields.setdefault("method", None)
        out.append(Claim(paper=data["paper"], **fields))
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
