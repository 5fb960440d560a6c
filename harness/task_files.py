"""Task files: a task's YAML (with what it `include:`s), command-line overrides and shortcuts,
and the `TaskFile` that a `claimbench.tasks` entry point names.

A family shares one base YAML and each task states only what differs, like lm-eval's task
`include`. Task specs on the command line take overrides (`bamboogle:method=self_ask,limit=20`);
an override that names nothing the task reads is refused before anything runs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from . import protocol, registry, yaml_files
from .data import DatasetConfig
from .errors import ConfigError, did_you_mean
from .generation import GenerationConfig
from .options import build, display_name, parse_spec
from .task import Task, TaskConfig, load_hooks


def _check_overrides(raw: dict, overrides: tuple[tuple[str, str], ...], where: str, folder: Path) -> None:
    """Refuse an override that names nothing the task reads (`methd=`, `limt=`), before it could
    be silently ignored: config fields, dataset.<field>, the YAML's params and the hooks' optional ones."""
    if not overrides:
        return
    params = set(raw.get("params") or {}) if isinstance(raw.get("params"), dict) else set()
    if isinstance(raw.get("hooks"), str):
        params |= load_hooks(raw["hooks"], where, folder).optional_params
    shortcuts = raw.get("shortcuts")
    if not isinstance(shortcuts, dict):
        shortcuts = {}
    known = ({f.name for f in dataclasses.fields(TaskConfig)} | {"path"} | params | set(shortcuts)
             | {f"dataset.{f.name}" for f in dataclasses.fields(DatasetConfig)} | {f"params.{k}" for k in params}
             | {f"generation.{f.name}" for f in dataclasses.fields(GenerationConfig)})
    for key, _ in overrides:
        head = ".".join(key.split(".")[:2]) if key.startswith("params.") else key
        if head not in known:
            plain = sorted(k for k in known if "." not in k)
            raise ConfigError(f"task {where}: unknown option {key!r}.{did_you_mean(key, known)} "
                              f"It takes {', '.join(plain)}, dataset.<field> and generation.<field>.")


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


def _with_protocol(path: Path) -> tuple[dict, dict[str, protocol.Axis]]:
    """The task file's mapping (with its includes) without its `protocol:` section, and that
    section's axes: they say what a sweep may vary, not what a run is (harness.protocol)."""
    raw = _with_includes(path)
    return raw, protocol.parse(raw.pop("protocol", None), f"task file {str(path)!r}")


def load_task_file(path: Path, overrides: tuple[tuple[str, str], ...] = (), label: str | None = None) -> Task:
    """Parse and validate a task YAML file (with what it includes); every error names the file."""
    raw, axes = _with_protocol(path)
    _check_overrides(raw, overrides, f"{raw.get('task', path.stem)!r} ({path})", path.parent)
    for key, value in _expand_shortcuts(raw, overrides):
        _set_dotted(raw, key, value)
    return Task(build(TaskConfig, raw, f"task file {str(path)!r}"), path, label, axes)


@dataclass(frozen=True)
class TaskFile:
    """What a `claimbench.tasks` entry point refers to: a YAML file, loaded on demand."""

    path: Path

    def load(self, overrides: tuple[tuple[str, str], ...] = (), label: str | None = None) -> Task:
        return load_task_file(Path(self.path), overrides, label)

    def declared(self) -> tuple[TaskConfig, dict[str, protocol.Axis]]:
        """The task's config as its YAML states it and its declared protocol axes, from one read,
        without importing hooks or building metrics (what `claimbench list tasks` shows, even for
        a task that needs options to run)."""
        raw, axes = _with_protocol(Path(self.path))
        return build(TaskConfig, raw, f"task file {str(self.path)!r}"), axes

    def config(self) -> TaskConfig:
        return self.declared()[0]


def load_task(spec_text: str) -> Task:
    """A task from a registered name (`name[:k=v,...]`) or a path to a YAML file."""
    if spec_text.endswith((".yaml", ".yml")) and ":" not in spec_text:
        return load_task_file(Path(spec_text))
    spec = parse_spec(spec_text, "task spec")
    source = registry.tasks.get(spec.name)
    if not isinstance(source, TaskFile):
        raise ConfigError(f"task {spec.name!r} ({registry.tasks.source(spec.name)}) must be a harness.task_files.TaskFile.")
    task = source.load(spec.options, display_name(spec.text))
    if task.name != spec.name:
        raise ConfigError(f"task {spec.name!r} is registered, but its YAML ({source.path}) says task: {task.name!r}; make them equal.")
    return task
