"""What `claimbench list` prints: every vocabulary the registries find (tasks, models, request
kinds, view kinds, plug-ins' groups), or one vocabulary's entries with where each comes from."""
from __future__ import annotations

import argparse
import sys

from . import registry
from .errors import ClaimBenchError, ConfigError


def cmd_list(args: argparse.Namespace) -> int:
    found = registry.listings()
    if args.what is None:
        for word, reg in found.items():
            print(f"{word:<14} {len(reg.names()):>4}  {reg.group} ({reg.kind})")
        print(f"{len(found)} vocabularies: `claimbench list WORD` shows one", file=sys.stderr)
        return 0
    if args.what not in found:
        raise ConfigError(f"`claimbench list {args.what}`: no such vocabulary; one of {', '.join(found)}.")
    reg = found[args.what]
    names = reg.names()
    for name in names:
        print(task_line(name) if args.what == "tasks" else f"{name:<28} {reg.source(name)}")
    print(f"{len(names)} {args.what}", file=sys.stderr)
    return 0


def task_line(name: str) -> str:
    """A task's name, methods and description (what a newcomer picks by), or why it does not load."""
    try:
        config = registry.tasks.get(name).config()
    except (ClaimBenchError, AttributeError) as e:
        return f"{name:<28} (cannot be loaded: {e})"
    methods = f" [methods: {', '.join(config.methods)}]" if config.methods else ""
    text = " ".join(config.description.split())
    return f"{name:<28} {text[:150] + ('…' if len(text) > 150 else '')}{methods}"
