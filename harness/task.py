"""Tasks: a versioned YAML config plus small Python hooks.

The YAML says what data, which prompting method, which metrics, how many rows (and may
`include:` a base YAML that a family shares, stating only what differs); the
hooks (a TaskHooks subclass named in the YAML) turn a row into requests and the
responses into a scored sample. A task may ask in several rounds (self-ask with
search asks, reads the answer, asks again): `requests(row, history)` is called until
it returns no new requests. Task specs on the command line take overrides:
`bamboogle:method=self_ask,limit=20`.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from . import registry, yaml_files
from .data import PROVENANCE, Dataset, DatasetConfig, load
from .errors import ClaimBenchError, ConfigError, did_you_mean
from .metrics import Metric, make_metric
from .options import build, convert, display_name, parse_spec
from .requests import KINDS, Request, canonical_json

History = list[tuple[Request, Any]]


class Unscorable(ClaimBenchError):
    """Raised by process() for a row that cannot be scored; the runner counts and logs it."""


@dataclass(frozen=True)
class TaskConfig:
    task: str
    version: str
    hooks: str                                  # a `claimbench.hooks` name, or "module:TaskHooksSubclass"
    dataset: DatasetConfig | None               # None: the hooks' rows() make the rows (e.g. generation chunks)
    metrics: tuple[str, ...]
    description: str = ""
    method: str | None = None
    methods: tuple[str, ...] = ()               # the methods the hooks support
    params: dict[str, Any] = field(default_factory=dict)  # free-form, read by the hooks
    limit: int | None = None                    # first N rows (after sampling)
    sample: int | None = None                   # seeded subsample of N rows
    primary_metric: str | None = None
    # option -> the overrides it stands for, "{value}" replaced by what the user gave: a face
    # task's `bin=FILE` is dataset.path=FILE plus dataset.format=insightface_bin
    shortcuts: dict[str, dict[str, str]] = field(default_factory=dict, metadata={"since": "0.4"})

    def __post_init__(self) -> None:
        if self.methods and self.method not in self.methods:
            raise ConfigError(f"task {self.task!r}: method {self.method!r} is not one of {list(self.methods)}.")
        for name in ("limit", "sample"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"task {self.task!r}: {name} must be a positive integer, got {v}.")
        if not self.metrics:
            raise ConfigError(f"task {self.task!r}: list at least one metric under 'metrics'.")


class TaskHooks:
    """Row -> requests -> scored sample. Subclass it and name it in the YAML's `hooks`."""

    kinds: ClassVar[frozenset[str]] = frozenset()
    kinds_help: ClassVar[str] = ""  # shown when a model lacks a kind: what to run instead
    optional_params: ClassVar[frozenset[str]] = frozenset()  # params the hooks read that a YAML may leave out
    # the type of each param the hooks read (int, bool, dict[str, int], ...), checked when the task
    # loads, before any work: `max_tokens=abc` is refused by name, never a traceback mid-run
    param_types: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: TaskConfig):
        self.config = config

    def prepare(self, rows: list[dict]) -> list[dict]:
        """The rows open to evaluation, given the whole dataset (e.g. without the few-shot exemplars)."""
        return rows

    def rows(self) -> list[dict]:
        """The rows of a task whose YAML says `dataset: null` (made from params, e.g. sample chunks)."""
        raise ConfigError(f"task {self.config.task!r} has no dataset and its hooks make no rows; give it a dataset.")

    def requests(self, row: dict, history: History) -> list[Request]:
        """The next requests for `row` given the (request, response) pairs so far; [] when done."""
        raise NotImplementedError

    def process(self, row: dict, history: History) -> dict:
        """A scored sample: {'prediction', 'references', 'fields': {...}}; raise Unscorable if impossible."""
        raise NotImplementedError


class Task:
    def __init__(self, config: TaskConfig, path: Path | None, label: str | None = None):
        self.config, self.path = config, path
        self.label = label or config.task  # the spec as typed, e.g. "bamboogle:method=self_ask"
        where = f" ({path})" if path else ""
        hooks_cls = _load_hooks(config.hooks, config.task + where)
        for name, hint in hooks_cls.param_types.items():
            if name in config.params:
                convert(config.params[name], hint, f"task {config.task!r}{where}: param {name!r}")
        self.hooks: TaskHooks = hooks_cls(config)
        unknown = set(self.hooks.kinds) - set(KINDS)
        if not self.hooks.kinds or unknown:
            raise ConfigError(f"task {config.task!r}: hooks {config.hooks} must declare `kinds` from {sorted(KINDS)}"
                              + (f"; unknown: {sorted(unknown)}" if unknown else "."))
        names: Counter = Counter()
        for m in self.metric_specs():  # fail on an unknown metric now, before any work
            try:
                names[make_metric(m).name] += 1
            except ClaimBenchError as e:
                raise type(e)(f"task {config.task!r}{where}: {e}") from None
        if twice := [n for n, k in names.items() if k > 1]:
            raise ConfigError(f"task {config.task!r}{where}: two metrics report as {twice[0]!r}; merge them "
                              "(one spec can hold both options, e.g. anls:variant=...,by=...).")

    @property
    def name(self) -> str:
        return self.config.task

    @property
    def version(self) -> str:
        return self.config.version

    def config_json(self) -> dict:
        return _recorded(self.config)

    def config_hash(self) -> str:
        return config_hash(self.config_json())

    def metric_specs(self) -> list[str]:
        return metric_specs(self.config.metrics, self.config.params, self.name)

    def make_metrics(self, seed: int) -> list[Metric]:
        return [make_metric(m, seed) for m in self.metric_specs()]

    def load_data(self) -> Dataset:
        if self.config.dataset is None:
            rows = self.hooks.rows()
            return Dataset(rows, hashlib.sha256(canonical_json(rows).encode()).hexdigest(), "made by the task from its params")
        return load(self.config.dataset, self.path.parent if self.path else None)

    def select(self, n_rows: int, seed: int, limit: int | None = None) -> list[int]:
        """Row indices to evaluate: a seeded subsample (sorted), then the first `limit`."""
        idx = np.arange(n_rows)
        if self.config.sample is not None and self.config.sample < n_rows:
            idx = np.sort(np.random.default_rng(seed).choice(n_rows, self.config.sample, replace=False))
        lim = limit if limit is not None else self.config.limit
        return [int(i) for i in (idx[:lim] if lim is not None else idx)]

    def sample_ids(self, pool: list[dict]) -> list[str]:
        """One unique id per prepared row: its id field (else its position); a repeated id gets
        `#k` for its k-th occurrence over the whole pool, so ids stay the same whatever subset
        is evaluated and two runs of a task pair sample by sample."""
        f = self.config.dataset.id_field if self.config.dataset else None
        seen: Counter = Counter()
        ids = []
        for index, row in enumerate(pool):
            if f and f not in row:
                raise ConfigError(f"task {self.name!r}: row {index} of its data has no id field {f!r} (dataset.id_field); "
                                  "fix the data, or drop id_field to number the rows.")
            rid = str(row[f]) if f else str(index)
            seen[rid] += 1
            ids.append(rid if seen[rid] == 1 else f"{rid}#{seen[rid]}")
        return ids


def config_hash(recorded: dict) -> str:
    """sha256 of a recorded task config, without where its data is fetched from (URL, hub id,
    license...: data.PROVENANCE): the same protocol on a new mirror keeps its hash."""
    dataset = recorded.get("dataset")
    if isinstance(dataset, dict):
        recorded = {**recorded, "dataset": {k: v for k, v in dataset.items() if k not in PROVENANCE}}
    return hashlib.sha256(canonical_json(recorded).encode()).hexdigest()


def metric_specs(templates: list[str], params: dict, task: str) -> list[str]:
    """A task's metric specs with `{param}` placeholders filled from its params (quoted when
    needed); also how claims rebuild a finished run's metrics from its recorded config."""
    def fill(m: re.Match) -> str:
        if m.group(1) not in params:
            raise ConfigError(f"task {task!r}: metric spec refers to {{{m.group(1)}}}, which is not in params.")
        value = str(params[m.group(1)])
        return f'"{value}"' if re.search(r"[\s,:=']", value) else value
    return [re.sub(r"\{(\w+)\}", fill, m) for m in templates]


def _recorded(value: Any) -> Any:
    """A config as results record it (dataclasses.asdict's shape), leaving out any field added after
    results were published (field metadata `since`) while it holds its default, so the config hashes
    of older results stay valid."""
    if not dataclasses.is_dataclass(value):
        return copy.deepcopy(value)
    out = {}
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        if f.metadata.get("since"):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            if v == default:
                continue
        out[f.name] = _recorded(v)
    return out


def _load_hooks(ref: str, where: str) -> type[TaskHooks]:
    obj = registry.named_or_code(registry.hooks, ref, f"task {where}: hooks")
    if not (isinstance(obj, type) and issubclass(obj, TaskHooks)):
        raise ConfigError(f"task {where}: hooks {ref!r} is not a TaskHooks subclass.")
    return obj


def _check_overrides(raw: dict, overrides: tuple[tuple[str, str], ...], where: str) -> None:
    """Refuse an override that names nothing the task reads (`methd=`, `limt=`), before it could
    be silently ignored: config fields, dataset.<field>, the YAML's params and the hooks' optional ones."""
    if not overrides:
        return
    params = set(raw.get("params") or {}) if isinstance(raw.get("params"), dict) else set()
    if isinstance(raw.get("hooks"), str):
        params |= _load_hooks(raw["hooks"], where).optional_params
    shortcuts = raw.get("shortcuts") if isinstance(raw.get("shortcuts"), dict) else {}
    known = ({f.name for f in dataclasses.fields(TaskConfig)} | {"path"} | params | set(shortcuts)
             | {f"dataset.{f.name}" for f in dataclasses.fields(DatasetConfig)} | {f"params.{k}" for k in params})
    for key, _ in overrides:
        head = ".".join(key.split(".")[:2]) if key.startswith("params.") else key
        if head not in known:
            plain = sorted(k for k in known if "." not in k)
            raise ConfigError(f"task {where}: unknown option {key!r}.{did_you_mean(key, known)} "
                              f"It takes {', '.join(plain)}, and dataset.<field>.")


def _expand_shortcuts(raw: dict, overrides: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Overrides with each of the YAML's `shortcuts` replaced by the overrides it stands for."""
    shortcuts = raw.get("shortcuts") or {}
    out = []
    for key, value in overrides:
        if key in shortcuts:
            out += [(k, str(v).replace("{value}", value)) for k, v in shortcuts[key].items()]
        else:
            out.append((key, value))
    return out


def _set_dotted(raw: dict, key: str, value: str) -> None:
    """Apply one override; `path` means dataset.path, and an unknown plain key means params.<key>."""
    if key == "path":  # the one override everybody needs: point a task at a local file
        key = "dataset.path"
    elif "." not in key and key not in {f.name for f in dataclasses.fields(TaskConfig)}:
        key = f"params.{key}"
    parts = key.split(".")
    node = raw
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"task override {key!r}: {p!r} is not a section.")
    node[parts[-1]] = value


def _read_yaml(path: Path) -> dict:
    raw = yaml_files.load(path, "task file")
    if not isinstance(raw, dict):
        raise ConfigError(f"task file {str(path)!r} must be a YAML mapping with keys task, version, hooks, dataset, metrics.")
    return raw


def _merged(base: dict, child: dict) -> dict:
    """child over base: mappings merge key by key, anything else (lists, scalars) is replaced."""
    out = dict(base)
    for key, value in child.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _with_includes(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The file's mapping over the one its `include:` names (relative to it, nested includes allowed),
    like lm-eval's task `include`: families share one base YAML and state only what differs."""
    if path.resolve() in seen:
        raise ConfigError(f"task file {str(path)!r} includes itself (through {' -> '.join(map(str, seen))}).")
    raw = _read_yaml(path)
    include = raw.pop("include", None)
    if include is None:
        return raw
    if not isinstance(include, str):
        raise ConfigError(f"task file {str(path)!r}: include must be one file name, got {include!r}.")
    base = path.parent / include
    if not base.is_file():
        raise ConfigError(f"task file {str(path)!r} includes {include!r}, but {str(base)!r} does not exist.")
    return _merged(_with_includes(base, (*seen, path.resolve())), raw)


def load_task_file(path: Path, overrides: tuple[tuple[str, str], ...] = (), label: str | None = None) -> Task:
    """Parse and validate a task YAML file (with what it includes); every error names the file."""
    raw = _with_includes(path)
    _check_overrides(raw, overrides, f"{raw.get('task', path.stem)!r} ({path})")
    for key, value in _expand_shortcuts(raw, overrides):
        _set_dotted(raw, key, value)
    return Task(build(TaskConfig, raw, f"task file {str(path)!r}"), path, label)


@dataclass(frozen=True)
class TaskFile:
    """What a `claimbench.tasks` entry point refers to: a YAML file, loaded on demand."""

    path: Path

    def load(self, overrides: tuple[tuple[str, str], ...] = (), label: str | None = None) -> Task:
        return load_task_file(Path(self.path), overrides, label)

    def config(self) -> TaskConfig:
        """The task's config as its YAML states it, without importing hooks or building metrics
        (what `claimbench list tasks` shows, even for a task that needs options to run)."""
        return build(TaskConfig, _with_includes(Path(self.path)), f"task file {str(self.path)!r}")


def load_task(spec_text: str) -> Task:
    """A task from a registered name (`name[:k=v,...]`) or a path to a YAML file."""
    if spec_text.endswith((".yaml", ".yml")) and ":" not in spec_text:
        return load_task_file(Path(spec_text))
    spec = parse_spec(spec_text, "task spec")
    source = registry.tasks.get(spec.name)
    if not isinstance(source, TaskFile):
        raise ConfigError(f"task {spec.name!r} ({registry.tasks.source(spec.name)}) must be a harness.task.TaskFile.")
    task = source.load(spec.options, display_name(spec.text))
    if task.name != spec.name:
        raise ConfigError(f"task {spec.name!r} is registered, but its YAML ({source.path}) says task: {task.name!r}; make them equal.")
    return task
