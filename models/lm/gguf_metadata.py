"""A GGUF file's metadata (vocabulary, chat template), read with the gguf package without loading weights.

The reader parses the header and memory-maps the tensors without reading them. Parsing a
large vocabulary still takes seconds (Gemma 3's 262k tokens: about 8 s on one core), so a
caller that needs several fields reads the file once and passes the fields around.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from claimbench.harness.errors import ConfigError


def read(path: str | Path) -> Mapping[str, Any]:
    """The file's metadata fields by key; a file that is not GGUF is refused, naming it."""
    from gguf import GGUFReader

    try:
        return GGUFReader(str(path)).fields
    except (ValueError, OSError) as e:
        raise ConfigError(f"{str(path)!r} is not a readable GGUF file ({e}).") from None


def string(fields: Mapping[str, Any], key: str) -> str | None:
    """A string field decoded as llama.cpp's metadata decodes it (strict UTF-8); None when absent."""
    field = fields.get(key)
    return None if field is None else bytes(field.parts[field.data[0]]).decode("utf-8")


def strings(fields: Mapping[str, Any], key: str) -> list[str]:
    """An array of strings; bytes that are not UTF-8 are replaced (a token may hold part of a character)."""
    field = fields[key]
    return [bytes(field.parts[i]).decode("utf-8", "replace") for i in field.data]


def integers(fields: Mapping[str, Any], key: str) -> list[int]:
    """An integer field or array of integers, as a list."""
    field = fields[key]
    return [int(field.parts[i][0]) for i in field.data]
