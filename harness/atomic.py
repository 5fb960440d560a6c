"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A run killed mid-write leaves the previous file (or none), never half a file. The file
gets the permissions a plain open() would give (mkstemp's are owner-only), so published
results and built sites are readable by others.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_text(path: Path, text: str) -> None:
    write_lines(path, [text])


def write_lines(path: Path, lines: Iterable[str]) -> None:
    _write(path, lambda f: f.writelines(lines), "w")


def write_bytes(path: Path, data: bytes) -> None:
    _write(path, lambda f: f.write(data), "wb")


def write_npy(path: Path, array) -> None:
    import numpy as np

    _write(path, lambda f: np.save(f, array, allow_pickle=False), "wb")


def _write(path: Path, fill, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
