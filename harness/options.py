"""`name:key=value,...` spec strings and typed option dataclasses.

Model specs (`hf:path=model.gguf,dtype=float32`) and task specs
(`bamboogle:method=self_ask,limit=50`) share this syntax. Values are converted to
the type annotated on the target dataclass, so a typo or a bad value fails at once
with the option's name, never deep inside a run.
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class Spec:
    """A parsed spec: registry name plus raw string options, in the order given."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        if not self.options:
            return self.name
        return self.name + ":" + ",".join(f"{k}={_quote(v)}" for k, v in self.options)

    def merged(self, overrides: dict[str, str] | tuple[tuple[str, str], ...]) -> Spec:
        opts = dict(self.options)
        opts.update(dict(overrides))
        return Spec(self.name, tuple(opts.items()))


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _portable_value(value: str) -> str:
    """A local path keeps its last two components (and any [start:stop] slice); schemes
    (data:, hf:, http:) and plain values stay as they are."""
    if "/" not in value or _SCHEME.match(value):
        return value
    path, bracket, rest = value.partition("[")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".", "..", "~")]
    return "/".join(parts[-2:]) + bracket + rest


def display_name(text: str) -> str:
    """A spec as a run's display name: option values that are local paths lose their machine
    part (`/usr/share/datasets/mnist/x.gz[0:10]` -> `mnist/x.gz[0:10]`), so result folders,
    leaderboard rows and compare pairings are the same on every machine."""
    spec = parse_spec(text)
    return Spec(spec.name, tuple((k, _portable_value(v)) for k, v in spec.options)).text


def _quote(v: str) -> str:
    return f'"{v}"' if any(c in v for c in ',="') else v


def parse_spec(text: str, what: str = "spec") -> Spec:
    """Parse `name` or `name:k=v,k="v,with,commas"`."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"empty {what}; expected NAME or NAME:key=value,key=value.")
    name, sep, rest = text.strip().partition(":")
    if not name or any(c in name for c in "=, "):
        raise ConfigError(f"{what} {text!r}: the name before ':' is missing or malformed; expected NAME or NAME:key=value,...")
    if sep and not rest:
        raise ConfigError(f"{what} {text!r} ends with ':'; give options as key=value or drop the colon.")
    options: list[tuple[str, str]] = []
    for item in _split_items(rest, text, what) if rest else []:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ConfigError(f"{what} {text!r}: option {item!r} is not key=value.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key in dict(options):
            raise ConfigError(f"{what} {text!r}: option {key!r} is given twice.")
        options.append((key, value))
    return Spec(name, tuple(options))


def _split_items(rest: str, text: str, what: str) -> list[str]:
    """Split on commas outside quotes; a value may be quoted with "..." or '...' (for JSON)."""
    items: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    for c in rest:
        if c in "\"'" and (quote is None or quote == c):
            quote = None if quote else c
        if c == "," and quote is None:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(c)
    if quote:
        raise ConfigError(f"{what} {text!r} has an unclosed {quote} quote.")
    items.append("".join(buf))
    return items


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def convert(value: Any, hint: Any, label: str) -> Any:
    """Convert a raw (string or YAML) value to the annotated type `hint`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return convert(value, arg, label)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{label}: cannot convert {value!r}.")
    if origin in (tuple, list):
        (item,) = typing.get_args(hint)[:1] or (str,)
        seq = value.split(";") if isinstance(value, str) else value
        if not isinstance(seq, (list, tuple)):
            raise ConfigError(f"{label} must be a list, got {value!r}.")
        return origin(convert(v, item, label) for v in seq)
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{label} must be one of {', '.join(map(repr, allowed))}, got {value!r}.{did_you_mean(str(value), map(str, allowed))}")
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in _TRUE | _FALSE:
            return str(value).lower() in _TRUE
        raise ConfigError(f"{label} must be true or false, got {value!r}.")
    if hint in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{label} must be a number, got {value!r}.")
        try:
            out = hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{label} must be {'an integer' if hint is int else 'a number'}, got {value!r}.") from None
        if hint is int and isinstance(value, float) and value != out:
            raise ConfigError(f"{label} must be an integer, got {value!r}.")
        return out
    if hint is str:
        if not isinstance(value, (str, int, float)):
            raise ConfigError(f"{label} must be a string, got {value!r}.")
        return str(value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{label} must be a mapping (key: value lines), got {value!r}.")
        args = typing.get_args(hint)
        return {k: convert(v, args[1], f"{label}[{k!r}]") for k, v in value.items()} if args else value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{label} must be a mapping (key: value lines), got {value!r}.")
        return build(hint, value, label)
    return value  # Any / unannotated: kept as given


def build(cls: type, raw: dict[str, Any] | tuple[tuple[str, Any], ...], label: str) -> Any:
    """Instantiate dataclass `cls` from raw values, naming the bad option on error."""
    raw = dict(raw)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    for key in raw:
        if key not in known:
            raise ConfigError(
                f"{label}: unknown option {key!r}.{did_you_mean(key, known)} Known options: {', '.join(sorted(known))}."
            )
    kwargs = {k: convert(v, hints[k], f"{label}: option {k!r}") for k, v in raw.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required option is missing
        raise ConfigError(f"{label}: {e}. Required options: "
                          + ", ".join(f.name for f in dataclasses.fields(cls)
                                      if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)) from None
