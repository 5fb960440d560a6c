"""The plug-in API's reference tables, rendered from the typed definitions themselves (request
kinds with their fields and response shapes, a task YAML's keys, a dataset's keys), so the
guide (docs/plugins.md) cannot drift from the code: a test compares its tables with these."""
from __future__ import annotations

import dataclasses
from typing import Any

from . import registry
from .data import DatasetConfig
from .requests import Request
from .task import TaskConfig


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a type such as `int | None` inside a table cell


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return f"`{f.default!r}`"
    if callable(f.default_factory):
        return f"`{f.default_factory()!r}`"
    return "required"


def _fields(cls: Any) -> str:
    return ", ".join(f"`{f.name}: {f.type}` ({_default(f)})" for f in dataclasses.fields(cls) if not f.name.startswith("_"))


def request_kinds() -> str:
    """One row per registered request kind: its class, fields and the response an adapter returns."""
    rows = ["| kind | request class and fields | response |", "|---|---|---|"]
    for kind in registry.request_kinds.names():
        cls = registry.request_kinds.subclass(kind, Request)
        doc = " ".join((cls.__doc__ or "").split())
        rows.append(f"| `{kind}` | `{cls.__name__}`: {_cell(doc)} Fields: {_cell(_fields(cls))} | {_cell(cls.response_doc)} |")
    return "\n".join(rows)


def config_keys(cls: Any) -> str:
    """A config dataclass's keys (a task YAML's, or its `dataset:` section's) with types and defaults."""
    rows = ["| key | type | default |", "|---|---|---|"]
    rows += [f"| `{f.name}` | `{_cell(str(f.type))}` | {_cell(_default(f))} |" for f in dataclasses.fields(cls)]
    return "\n".join(rows)


def markdown() -> str:
    """The generated part of docs/plugins.md."""
    return "\n\n".join([
        "### Request kinds (`claimbench list requests`)", request_kinds(),
        "### Task YAML keys (`TaskConfig`)", config_keys(TaskConfig),
        "### The `dataset:` section (`DatasetConfig`)", config_keys(DatasetConfig)])
