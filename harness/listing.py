"""What `claimbench list` prints: every vocabulary the registries find (tasks, models, request
kinds, view kinds, plug-ins' groups), or one vocabulary's entries: for a task what it measures
(description, family, methods, dataset, primary metric), for a model adapter the options it
takes (type, default, what each does), for anything else where it comes from; `--json` for scripts."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from . import registry
from .errors import ClaimBenchError, ConfigError
from .model import ModelAdapter, Preset


def cmd_list(args: argparse.Namespace) -> int:
    found = registry.listings()
    if args.what is None:
        rows = [{"word": word, "entries": len(reg.names()), "group": reg.group, "kind": reg.kind} for word, reg in found.items()]
        if args.json:
            print(json.dumps(rows, indent=1))
            return 0
        for r in rows:
            print(f"{r['word']:<14} {r['entries']:>4}  {r['group']} ({r['kind']})")
        print(f"{len(found)} vocabularies: `claimbench list WORD` shows one", file=sys.stderr)
        return 0
    if args.what not in found:
        raise ConfigError(f"`claimbench list {args.what}`: no such vocabulary; one of {', '.join(found)}.")
    reg = found[args.what]
    entries = [describe(args.what, name, reg) for name in reg.names()]
    if args.json:
        print(json.dumps(entries, indent=1))
        return 0
    for e in entries:
        print("\n".join(_lines(e)))
    print(f"{len(entries)} {args.what}", file=sys.stderr)
    return 0


def describe(word: str, name: str, reg: registry.Registry) -> dict[str, Any]:
    """One entry as data: a task's or a model adapter's particulars, else its source."""
    try:
        if word == "tasks":
            return _task(name)
        if word == "models":
            return _model(name)
    except (ClaimBenchError, AttributeError, ImportError) as e:
        return {"name": name, "error": f"cannot be loaded: {e}"}
    return {"name": name, "source": reg.source(name)}


def _task(name: str) -> dict[str, Any]:
    source = registry.tasks.get(name)
    config, axes = source.declared()
    return {"name": name, "description": " ".join(config.description.split()), "family": Path(source.path).parent.name,
            "methods": list(config.methods), "method": config.method,
            "dataset": config.dataset.name if config.dataset else "made by the task from its params",
            "primary_metric": config.primary_metric or config.metrics[0], "metrics": list(config.metrics),
            "params": sorted(config.params),
            "protocol": {a.name: {"values": list(a.values), "about": a.about} for a in axes.values()}}


def _model(name: str) -> dict[str, Any]:
    obj = registry.models.get(name)
    if isinstance(obj, Preset):
        return {"name": name, "preset": obj.description, "backends": list(obj.backends)}
    if not (isinstance(obj, type) and issubclass(obj, ModelAdapter)):
        return {"name": name, "source": registry.models.source(name)}
    defaults = {f.name: _default(f) for f in dataclasses.fields(obj.Options)}
    options = [{"name": f.name, "type": str(f.type), "default": None if defaults[f.name] is _REQUIRED else defaults[f.name],
                "required": defaults[f.name] is _REQUIRED, "doc": f.metadata.get("doc", "")} for f in dataclasses.fields(obj.Options)]
    doc = obj.__doc__ or sys.modules[obj.__module__].__doc__ or ""  # the class says what it is, else its module
    return {"name": name, "doc": doc.strip().split("\n")[0], "kinds": sorted(obj.kinds), "options": options}


_REQUIRED = object()


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if callable(f.default_factory):
        return f.default_factory()
    return _REQUIRED


def _lines(e: dict[str, Any]) -> list[str]:
    name = e["name"]
    if "error" in e:
        return [f"{name:<28} ({e['error']})"]
    if "description" in e:  # a task
        text = e["description"][:150] + ("…" if len(e["description"]) > 150 else "")
        extra = [f"family {e['family']}", f"dataset {e['dataset']}", f"primary metric {e['primary_metric']}"]
        if e["methods"]:
            extra.append(f"methods {', '.join(e['methods'])}")
        out = [f"{name:<28} {text}", f"{'':<28} {'; '.join(extra)}"]
        if e["protocol"]:
            out.append(f"{'':<28} protocol axes: " + "; ".join(f"{k} {'|'.join(a['values'])}" for k, a in e["protocol"].items()))
        return out
    if "preset" in e:
        return [f"{name:<28} preset: {e['preset']} (backends {', '.join(e['backends'])})"]
    if "options" in e:
        out = [f"{name:<28} {e['doc']} [kinds: {', '.join(e['kinds']) or 'learned when loaded'}]"]
        for o in e["options"]:
            default = "required" if o["required"] else f"default {o['default']!r}"
            out.append(f"{'':<30}{o['name']}: {o['type']}, {default}" + (f"; {o['doc']}" if o["doc"] else ""))
        return out
    return [f"{name:<28} {e['source']}"]
