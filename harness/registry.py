"""One generic registry for tasks, models, metrics (and any plug-in group).

Entries are registered in code or discovered from a Python entry-point group, exactly
as a third-party package would provide them; nothing is imported until it is asked
for, so `claimbench list` stays fast and a broken plug-in only fails when used.
"""
from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from .errors import ConfigError, RegistryCollisionError, UnknownNameError, did_you_mean

T = TypeVar("T")
B = TypeVar("B")


@dataclass(frozen=True)
class _Entry:
    name: str
    source: str  # "module:attr" reference or "<code>", shown in collision errors
    load: Callable[[], object]


_CODE_REF = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def import_code(ref: object, what: str) -> object:
    """The object a `package.module:name` reference names, for options that run code (task `hooks:`,
    `callable:fn=`, `inception_score:logits=`). The reference's shape is checked before anything is
    imported, so a malformed value is refused without running a module; a well-formed one runs
    that module's code, as any Python import does."""
    if not isinstance(ref, str) or not _CODE_REF.fullmatch(ref):
        raise ConfigError(f"{what} must be a 'package.module:name' reference, got {ref!r}; nothing was imported.")
    try:
        return _import_ref(ref)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"{what} {ref!r} cannot be imported ({e}).") from None


def is_code_ref(ref: object) -> bool:
    """Whether `ref` has the shape of a `package.module:name` reference."""
    return isinstance(ref, str) and _CODE_REF.fullmatch(ref) is not None


def _import_ref(ref: str) -> object:
    module, _, attr = ref.partition(":")
    obj: object = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


GROUP_PREFIX = "claimbench."
_declared: dict[str, Registry] = {}  # listing -> registry, in declaration order


class Registry(Generic[T]):
    """Name -> lazily loaded object, fed by code and by an entry-point group. A registry with a
    group is declared once, where its vocabulary belongs (the engine's below, a task family's
    in that family), and `claimbench list` finds it by its listing word."""

    def __init__(self, kind: str, group: str | None = None, listing: str | None = None):
        self.kind = kind  # "task", "model", ... used in messages
        self.listing = listing or f"{kind}s"  # the word after `claimbench list`
        self.group = group
        self._entries: dict[str, _Entry] = {}
        self._loaded: dict[str, T] = {}
        self._discovered = group is None
        if group is not None:
            _declared[self.listing] = self

    def subclass(self, name: str, base: type[B]) -> type[B]:
        """The class registered under `name`, refused unless it subclasses `base` (what make_metric,
        load_executor and their kin build from a spec)."""
        cls = self.get(name)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ConfigError(f"{self.kind} {name!r} ({self.source(name)}) is not a subclass of {base.__name__}.")
        return cls

    def register(self, name: str, obj: T | str, *, source: str = "<code>") -> None:
        """Add `obj` (or a lazy 'module:attr' string) under `name`."""
        self._discover()
        self._add(name, obj, source)

    def _add(self, name: str, obj: T | str, source: str) -> None:
        old = self._entries.get(name)
        if old is not None and old.source != source:
            raise RegistryCollisionError(
                f"{self.kind} name {name!r} is registered twice: by {old.source} and by "
                f"{source}. Rename one of them (or uninstall the package that provides it)."
            )
        if isinstance(obj, str):
            load = lambda ref=obj: _import_ref(ref)  # noqa: E731
            source = obj if source == "<code>" else source
        else:
            load = lambda o=obj: o  # noqa: E731
        self._entries[name] = _Entry(name, source, load)

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        for ep in entry_points(group=self.group or ""):
            dist = getattr(ep, "dist", None)
            origin = f"{ep.value} (package {dist.name})" if dist else ep.value
            old = self._entries.get(ep.name)
            if old is not None and old.source.split(" ")[0] == ep.value:
                continue  # the same distribution seen twice on sys.path
            self._add(ep.name, ep.value, origin)

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._entries

    def source(self, name: str) -> str:
        return self._entry(name).source

    def _entry(self, name: str) -> _Entry:
        self._discover()
        try:
            return self._entries[name]
        except KeyError:
            hint = did_you_mean(name, self._entries)
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}.{hint} Run `claimbench list {self.listing}` "
                f"to see the {len(self._entries)} available."
            ) from None

    def get(self, name: str) -> T:
        """The object registered as `name`, imported on first use."""
        if name not in self._loaded:
            self._loaded[name] = self._entry(name).load()  # type: ignore[assignment]
        return self._loaded[name]


tasks: Registry = Registry("task", "claimbench.tasks")
models: Registry = Registry("model", "claimbench.models")
metrics: Registry = Registry("metric", "claimbench.metrics")
request_kinds: Registry = Registry("request kind", "claimbench.requests", listing="requests")  # harness.requests.Request subclasses
views: Registry = Registry("view kind", "claimbench.views", listing="views")  # how a metric's declared view is drawn
executors: Registry = Registry("executor", "claimbench.executors")
readers: Registry = Registry("dataset reader", "claimbench.readers", listing="readers")  # dataset.format -> read(path, cfg)
quantities: Registry = Registry("derived quantity", "claimbench.quantities", listing="quantities")  # claims: a number from samples
hooks: Registry = Registry("task hooks", "claimbench.hooks", listing="hooks")  # a task YAML's `hooks:` by name
groups: Registry = Registry("task group", "claimbench.groups", listing="groups")  # a paper's table of task specs (task_groups.py)
loggers: Registry = Registry("experiment logger", "claimbench.loggers", listing="loggers")  # experiment_log.ExperimentLogger
factories: Registry = Registry("network factory", "claimbench.factories", listing="factories")  # torch-module `factory=`


def listings() -> dict[str, Registry]:
    """Every registry `claimbench list` can show: those declared in code, and one for each other
    installed `claimbench.*` entry-point group (a family's or a plug-in's vocabulary whose module
    is not imported yet)."""
    found = dict(_declared)
    for group in sorted(entry_points().groups):
        word = group.removeprefix(GROUP_PREFIX)
        if group.startswith(GROUP_PREFIX) and not any(r.group == group for r in found.values()):
            found[word] = Registry(word, group, listing=word)
    return found


def named_or_code(group: Registry, ref: object, what: str) -> object:
    """What a task's `hooks:` or torch-module's `factory=` names: a registered name (what ClaimBench's
    own configs use, so their identity never depends on where the code lives) or a
    `package.module:name` reference to a user's own code."""
    if isinstance(ref, str) and ":" not in ref:
        if ref not in group:
            raise ConfigError(f"{what} {ref!r} is neither a registered name (`claimbench list {group.listing}`) nor a "
                              f"'package.module:name' reference; nothing was imported.{did_you_mean(ref, group.names())}")
        return group.get(ref)
    return import_code(ref, what)


def code_reference(group: Registry, ref: str) -> str:
    """The `package.module:name` behind a registered name (itself if it already is one)."""
    if ":" in ref:
        return ref
    return group.source(ref).split(" ")[0]
