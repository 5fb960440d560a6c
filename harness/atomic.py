"""Atomic file writes: a temp file in the same folder, fsync, then rename.

A run killed mid-write leaves the previous file (or none), never half a file, and at
worst a temp file named for its writer's process, which `remove_orphans` deletes once that
process is gone. The temp file is created with mode 0o666 less the umask, as a plain open()
would (mkstemp's are owner-only), so published results and built sites are readable by others.
"""
from __future__ import annotations

import os
import re
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
    tmp = str(path.parent / f".{path.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the kernel applies the umask
    try:
        with os.fdopen(fd, mode, encoding="utf-8" if mode == "w" else None) as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.filename is None:  # a full disk names no file: say which it was
            raise type(e)(e.errno, e.strerror, str(path)) from None
        raise


def remove_orphans(folder: Path) -> None:
    """Delete the temp files in `folder` whose writing process no longer runs (killed mid-write)."""
    for p in folder.glob(".*.tmp") if folder.is_dir() else ():
        m = re.fullmatch(r"\..+\.(\d+)-[0-9a-f]{32}\.tmp", p.name)
        if m and not _running(int(m.group(1))):
            p.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
