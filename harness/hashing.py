"""Content hashes of files, remembered by (path, size, mtime) so large weights are hashed once.

Model fingerprints and dataset fingerprints are sha256 of file bytes; hashing a
300 MB GGUF takes about a second, which a run should not pay every time.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .atomic import write_text
from .paths import cache_dir


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _memo_path() -> Path:
    return cache_dir() / "file_hashes.json"


def sha256_file_cached(path: str | Path) -> str:
    """sha256_file, reusing the previous value while the file's size and mtime are unchanged."""
    p = Path(path).resolve()
    st = p.stat()
    stamp = f"{st.st_size}:{st.st_mtime_ns}"
    memo_file = _memo_path()
    try:
        memo = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        memo = {}
    hit = memo.get(str(p))
    if hit and hit.get("stamp") == stamp:
        return hit["sha256"]
    digest = sha256_file(p)
    memo[str(p)] = {"stamp": stamp, "sha256": digest}
    try:
        write_text(memo_file, json.dumps(memo, indent=1))
    except OSError:
        pass  # a read-only home only costs re-hashing next time
    return digest
