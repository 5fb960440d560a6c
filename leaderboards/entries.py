"""Leaderboard entries: one committed result file, with what tables, plots and claims need.

Built only from results.json files (DESIGN.md: anyone can audit a number from its files),
plus leaderboards/models.yaml for facts a result does not carry (parameter counts).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from claimbench.harness import results, safe_paths, yaml_files
from claimbench.harness.errors import ConfigError
from claimbench.harness.options import Spec, parse_spec
from claimbench.reports import words

MODELS_FILE = Path(__file__).with_name("models.yaml")
UPPER_BOUND_MARK = "diagnostic upper bound"  # in a diagnostic search engine's recorded label


@dataclass(frozen=True)
class Entry:
    path: Path                 # the results.json
    result: results.RunResult

    @property
    def task_spec(self) -> str:
        return self.result.task["spec"]

    @property
    def task_name(self) -> str:
        return self.result.task["name"]

    @property
    def method(self) -> str | None:
        return self.result.task["config"].get("method")

    @property
    def model_label(self) -> str:
        return self.result.model["label"]

    @property
    def model(self) -> Spec:
        return spec_of(self.model_label)

    @property
    def model_name(self) -> str:
        """The registry name (preset or backend) before any ':options'."""
        return self.model.name

    @property
    def task_options(self) -> dict[str, str]:
        return dict(spec_of(self.task_spec).options)

    @property
    def parameters(self) -> int | None:
        info = model_facts().get(self.model_name)
        return info["parameters"] if info else None

    @property
    def family(self) -> str:
        """The model family (models.yaml), else the model's own name: a family of one."""
        info = model_facts().get(self.model_name)
        return info["family"] if info else self.model_name

    @property
    def backend(self) -> str:
        """The adapter that served the run (its recorded spec's registry name)."""
        return self.result.model["spec"].partition(":")[0]

    @property
    def report_path(self) -> str:
        """Where this run's report lives in a built site (relative to the site root)."""
        return f"runs/{safe_paths.folder_name(self.task_spec)}/{safe_paths.folder_name(self.model_label)}.html"

    def metric(self, name: str) -> dict | None:
        return self.result.metrics.get(name)

    @property
    def protocol(self) -> str:
        """How the run was made, in words, read from its own record (never written beside it):
        method, the search engine its samples name, exemplar seed, sample size, rows, backend."""
        config, parts = self.result.task["config"], []
        if config.get("method"):
            parts.append(f"method {config['method']}")
        if self.search_engines:
            parts.append(f"search engine {', '.join(self.search_engines)}")
        seed = (config.get("params") or {}).get("exemplar_seed")
        if seed is not None:
            parts.append(f"exemplar seed {seed}")
        if config.get("sample"):
            parts.append(f"seeded sample of {config['sample']}")
        parts.append(f"{self.result.dataset['rows_evaluated']} rows")
        parts.append(f"backend {self.backend}")
        return "; ".join(parts)

    @property
    def search_engines(self) -> list[str]:
        """The search engines the run's samples record (self-ask + search), as their labels."""
        return sorted({str(s["fields"]["search_engine"]) for s in _samples(self.path.parent)
                       if isinstance(s.get("fields"), dict) and s["fields"].get("search_engine")})

    @property
    def upper_bound(self) -> bool:
        """The run searched with a diagnostic engine that reads gold data (the oracle), whose
        recorded label says so: its accuracy bounds what a real engine gets from above."""
        return any(UPPER_BOUND_MARK in e for e in self.search_engines)

    def comparable_on(self) -> tuple[str, dict] | None:
        """What a metric's values compare only under (its metadata's comparable_on: FID's feature
        network), as (key, the run's value of it), or None when no metric asks."""
        for m in self.result.metrics.values():
            key = (m.get("metadata") or {}).get("comparable_on")
            if key and isinstance(m["extra"].get(key), dict):
                return key, m["extra"][key]
        return None


@cache
def _samples(folder: Path) -> tuple[dict, ...]:
    return tuple(results.read_samples(folder))


def as_number(value: str) -> float | None:
    """A spec option's value as a number (steps=4, noise=0.1), or None for text (method=self_ask)."""
    try:
        return float(value)
    except ValueError:
        return None


def without(spec: Spec, key: str) -> str:
    """A spec's text with option `key` left out (the axis a series varies along)."""
    return Spec(spec.name, tuple((k, v) for k, v in spec.options if k != key)).text


def spec_of(label: str) -> Spec:
    """A label parsed as a spec; a label no spec parser accepts (a plug-in's free text) is its own name."""
    try:
        return parse_spec(label)
    except ConfigError:
        return Spec(label)


@cache
def model_facts() -> dict[str, dict]:
    data = yaml_files.load(MODELS_FILE, "models file") or {}
    for name, info in data.items():
        if not isinstance(info, dict) or not isinstance(info.get("parameters"), int) or not info.get("source") \
                or not info.get("family"):
            raise ConfigError(f"{MODELS_FILE}: model {name!r} needs a 'family', an integer 'parameters' and a 'source'.")
    return data


def load(paths: list[str | Path]) -> list[Entry]:
    """Every results.json under the given files or folders, sorted by task then model.

    Refused: results of a testing-only adapter (as `publish` refuses them), and two results
    for one task and model (one would silently replace the other's row and report)."""
    files = [f for p in paths for f in results.find_required(p)]
    entries = [Entry(f, words.refreshed(results.read(f))) for f in dict.fromkeys(files)]
    testing = [str(e.path) for e in entries if e.result.model["testing_only"]]
    if testing:
        raise ConfigError(f"results of a testing-only adapter are never shown on a leaderboard: {', '.join(testing)}. "
                          "Leave those run folders out.")
    seen: dict[tuple[str, str], Path] = {}
    for e in entries:
        other = seen.setdefault((e.task_spec, e.model_label), e.path)
        if other != e.path:
            raise ConfigError(f"two results for task {e.task_spec!r} on model {e.model_label!r}: {other} and {e.path}; "
                              "pass only one of them.")
    return sorted(entries, key=lambda e: (e.task_spec, e.model_label))
