"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A run killed mid-write leaves the previous file (or none), never half a file. The temp
file is created with mode 0o666 less the umask, as a plain open() would (mkstemp's are
owner-only), so published results and built sites are readable by others.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path


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
    tmp = str(path.parent / f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the kernel applies the umask
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
