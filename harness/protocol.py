"""Declared protocol axes: the choices that are part of a task's protocol but not of its data
(which exemplars, how many, how an answer counts as right, chat template or not), each with
the values worth trying.

A published number is one setting of these choices, often one the paper did not state; a
task declares them so `claimbench sensitivity` can measure how far its numbers move when the
choices move. An axis is named by the task option it sets (`exemplar_seed`, `match`,
`generation.chat`), declared under the task YAML's `protocol:` section:

    protocol:
      exemplar_seed: {values: [0, 1, 2, 3, 4], about: which people each category shows}
      num_fewshot: {values: [1, 2, 3], unset: 2, about: how many (unset, the task shows 2)}

Its default is the task's own value of that option, so declaring an axis changes no result,
and each setting is an ordinary task spec whose results record the option used. The section
is not part of the task's config (nor its hash): it says what may vary, not what was run.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Axis:
    name: str                 # the task option it sets (a param, or a dotted config field)
    values: tuple[str, ...]   # the settings worth trying, as option strings
    about: str                # what the choice is, in a few words
    unset: str | None = None  # what the task does while the option is unset, where that is one of the values


def parse(raw: Any, where: str) -> dict[str, Axis]:
    """The `protocol:` section of a task YAML, checked."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'protocol' maps a task option to {{values: [...], about: ...}}.")
    axes = {}
    for name, body in raw.items():
        values = body.get("values") if isinstance(body, dict) else None
        if not isinstance(values, list) or len(values) < 2:
            raise ConfigError(f"{where}: protocol axis {name!r} needs 'values', a list of at least two settings.")
        unset = body.get("unset")
        axes[str(name)] = Axis(str(name), tuple(option_text(v) for v in values), str(body.get("about", "")),
                               None if unset is None else option_text(unset))
    return axes


def option_text(value: Any) -> str:
    """A value as a task option string: booleans as `true`/`false`, anything else as str()."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def current(config: Any, name: str, axis: Axis | None = None) -> str | None:
    """The task's own value of option `name` (from its TaskConfig); while it is unset, what the
    axis says the task then does, else None. A plain name that is no config field is a param, as
    in task specs."""
    path = name.split(".") if "." in name or hasattr(config, name) else ["params", name]
    node: Any = config
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
        if node is None:
            return axis.unset if axis is not None else None
    return option_text(node)


def chosen(axes: Mapping[str, Axis], asked: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The axes a sweep varies: `asked` items are NAME (its declared values) or NAME=V1,V2; none
    asked: every declared axis."""
    if not asked:
        return {name: a.values for name, a in axes.items()}
    out: dict[str, tuple[str, ...]] = {}
    for item in asked:
        name, eq, values = (part.strip() for part in item.partition("="))
        if name not in axes:
            known = ", ".join(axes) or "none"
            raise ConfigError(f"--axis {item!r}: the task declares no protocol axis {name!r} (it declares: {known}); "
                              "declare it under the task YAML's `protocol:` section.")
        given = tuple(v.strip() for v in values.split(",") if v.strip()) if eq else axes[name].values
        if len(given) < 2:
            raise ConfigError(f"--axis {item!r}: give at least two values, e.g. {name}={','.join(axes[name].values[:2])}.")
        out[name] = given
    return out


def settings(varied: Mapping[str, Sequence[str]], defaults: Mapping[str, str | None], grid: bool) -> list[dict[str, str]]:
    """The settings a sweep evaluates, each {axis: value} for the axes it moves off the task's own
    values: with `grid` every combination, else one axis at a time (the default first)."""
    out: list[dict[str, str]] = [{}]
    if grid:
        for combo in itertools.product(*varied.values()):
            setting = {k: v for k, v in zip(varied, combo) if v != defaults.get(k)}
            if setting not in out:
                out.append(setting)
        return out
    for name, values in varied.items():
        out += [{name: v} for v in values if v != defaults.get(name)]
    return out
