"""Tasks: a versioned config plus small Python hooks (the config comes from YAML: task_files.py).

The config says what data, which prompting method, which metrics, how many rows; the
hooks (a TaskHooks subclass the config names) turn a row into requests and the
responses into a scored sample. A task may ask in several rounds (self-ask with
search asks, reads the answer, asks again): `requests(row, history)` is called until
it returns no new requests, and `history` holds the (request, response) pairs so far.
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

from . import registry, task_folders
from .data import PROVENANCE, Dataset, DatasetConfig, load
from .errors import ClaimBenchError, ConfigError
from .generation import GenerationConfig
from .metrics import Metric, make_metric
from .options import convert
from .protocol import Axis
from .requests import Request, canonical_json, check_kinds

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
    # chat template, system instruction and generation settings for every text request (generation.py)
    generation: GenerationConfig = field(default_factory=GenerationConfig, metadata={"since": "0.5"})

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
    # what each per-sample field the hooks write means: {field: (short name, one sentence)}; a
    # metric of a field (`mean:field=...`) is named and described with them in reports
    fields: ClassVar[dict[str, tuple[str, str]]] = {}
    # whether the hooks build their few-shot prompts with Generate.few_shot, so that
    # generation.multiturn (--fewshot-as-multiturn) can send the exemplars as chat turns
    fewshot_turns: ClassVar[bool] = False

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
    def __init__(self, config: TaskConfig, path: Path | None, label: str | None = None,
                 protocol: dict[str, Axis] | None = None):
        self.config, self.path = config, path
        self.label = label or config.task  # the spec as typed, e.g. "bamboogle:method=self_ask"
        self.protocol = protocol or {}  # the declared protocol axes (harness.protocol), not part of the config
        where = f" ({path})" if path else ""
        hooks_cls = load_hooks(config.hooks, config.task + where, path.parent if path else None)
        for name, hint in hooks_cls.param_types.items():
            if name in config.params:
                convert(config.params[name], hint, f"task {config.task!r}{where}: param {name!r}")
        self.hooks: TaskHooks = hooks_cls(config)
        if not self.hooks.kinds:
            raise ConfigError(f"task {config.task!r}: hooks {config.hooks} must declare the request `kinds` they ask "
                              "(`claimbench list requests`).")
        check_kinds(self.hooks.kinds, f"task {config.task!r}: hooks {config.hooks}")
        if config.generation.multiturn and not self.hooks.fewshot_turns:
            raise ConfigError(f"task {config.task!r}: its prompts show no few-shot exemplars that could be sent as chat "
                              "turns; drop --fewshot-as-multiturn (generation.multiturn) for it.")
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
        return metric_specs(list(self.config.metrics), self.config.params, self.name)

    def adjust(self, request: Request) -> Request:
        """A request of the hooks as the run sends it (the task's generation controls applied)."""
        return self.config.generation.apply(request)

    def make_metrics(self, seed: int) -> list[Metric]:
        """The task's metrics, given the words its hooks have for their fields."""
        metrics = [make_metric(m, seed) for m in self.metric_specs()]
        for m in metrics:
            m.field_words = self.hooks.fields
        return metrics

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
        lim = self.limit(limit)
        return [int(i) for i in (idx[:lim] if lim is not None else idx)]

    def limit(self, given: int | None) -> int | None:
        """The row limit in force: the run's `limit` when given, else the task's own."""
        return given if given is not None else self.config.limit

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
            default = f.default_factory() if callable(f.default_factory) else f.default
            if v == default:
                continue
        out[f.name] = _recorded(v)
    return out


def load_hooks(ref: str, where: str, folder: Path | None = None) -> type[TaskHooks]:
    """The hooks class `ref` names: for a task file in `folder`, first a module beside it (task_folders)."""
    obj = task_folders.local_hooks(ref, folder) if folder is not None else None
    if obj is None:
        try:
            obj = registry.named_or_code(registry.hooks, ref, f"task {where}: hooks")
        except ConfigError as e:
            if folder is None or not registry.is_code_ref(ref):
                raise
            module = ref.partition(":")[0]
            raise ConfigError(f"{e} Hooks of a task file resolve beside it first: put {module.replace('.', '/')}.py in "
                              f"{str(folder)!r}, or install the module.") from None
    if not (isinstance(obj, type) and issubclass(obj, TaskHooks)):
        raise ConfigError(f"task {where}: hooks {ref!r} is not a TaskHooks subclass.")
    return obj
