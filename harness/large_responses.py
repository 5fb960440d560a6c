"""Large responses (embeddings, logits) stored by reference beside the sample log.

samples.jsonl stays readable and small: a response holding a numeric array of at least
`MIN_SIZE` numbers is written once into `arrays.npz` (an entry named by the first row, request
and place that held it, e.g. `r12.0.embedding`; a row repeating the same array refers to that
entry) and the log holds `{"$array": NAME, "shape": [...], "dtype": ...}` instead.
The response cache keeps the full response, so resume is unaffected; `restore` puts the
arrays back for readers that need them.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from . import atomic
from .errors import ConfigError
from .records import ArraysInfo

MIN_SIZE = 64
FILENAME = "arrays.npz"


class ArrayStore:
    """The arrays of one run's log, named `r<row index>.<request index or "fields">.<place>`."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._names: dict[str, str] = {}  # content hash -> the entry that holds it

    def take(self, response: Any, key: str) -> Any:
        """`response` with every large numeric array replaced by a reference into this store."""
        return self._walk(response, key)

    def _walk(self, value: Any, name: str) -> Any:
        if isinstance(value, dict):
            return {k: self._walk(v, f"{name}.{k}") for k, v in value.items()}
        if isinstance(value, list) and value:
            array = _numeric(value)
            if array is not None and array.size >= MIN_SIZE:
                return {"$array": self._stored(array, name), "shape": list(array.shape), "dtype": str(array.dtype)}
            return [self._walk(v, f"{name}.{i}") for i, v in enumerate(value)]
        return value

    def _stored(self, array: np.ndarray, name: str) -> str:
        """The entry holding `array`: stored once however many rows repeat it (an image embedded
        once but used by many pairs)."""
        digest = hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest()
        if digest not in self._names:
            self._names[digest] = name
            self.arrays[name] = array
        return self._names[digest]

    def write(self, folder: Path) -> ArraysInfo | None:
        """Write arrays.npz (if any array was taken); its file name, sha256 and entry count."""
        if not self.arrays:
            return None
        buf = io.BytesIO()
        np.savez_compressed(buf, **self.arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as allow_pickle
        data = buf.getvalue()
        atomic.write_bytes(folder / FILENAME, data)
        return {"file": FILENAME, "sha256": hashlib.sha256(data).hexdigest(), "count": len(self.arrays)}


def _numeric(value: list) -> np.ndarray | None:
    """The list as a numeric array when it is one (rectangular, numbers only), else None."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged
        return None
    return array if array.dtype.kind in "iuf" else None


def restore(value: Any, folder: Path) -> Any:
    """`value` (a log line or a part of it) with its array references read back from arrays.npz."""
    path = folder / FILENAME
    if not path.is_file():
        if _has_refs(value):
            raise ConfigError(f"{folder}: the sample log refers to arrays, but {FILENAME} is missing beside it.")
        return value
    with np.load(path, allow_pickle=False) as z:
        return _fill(value, z)


def _has_refs(value: Any) -> bool:
    if isinstance(value, dict):
        return "$array" in value or any(_has_refs(v) for v in value.values())
    return isinstance(value, list) and any(_has_refs(v) for v in value)


def _fill(value: Any, z) -> Any:
    if isinstance(value, dict):
        if "$array" in value:
            return z[value["$array"]].tolist()
        return {k: _fill(v, z) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, z) for v in value]
    return value
