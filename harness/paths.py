"""Where ClaimBench keeps what it downloads, hashes and caches: $CLAIMBENCH_CACHE_DIR or ~/.cache/claimbench."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("CLAIMBENCH_CACHE_DIR", Path.home() / ".cache" / "claimbench"))


_CACHE, _DATA = "cache:", "$CLAIMBENCH_DATA/"


def portable(path: str) -> str:
    """A file path as a results file records it: under the cache as `cache:REL`, under
    $CLAIMBENCH_DATA as `$CLAIMBENCH_DATA/REL`, anything else as it is; committed logs then
    name no folder of the machine they were made on, and `local()` finds the file again."""
    if not Path(path).is_absolute():
        return path
    p = Path(path).resolve()
    roots = [(_CACHE, cache_dir())] + ([(_DATA, Path(os.environ["CLAIMBENCH_DATA"]))] if os.environ.get("CLAIMBENCH_DATA") else [])
    for prefix, root in roots:
        if p.is_relative_to(root := root.resolve()):
            return prefix + p.relative_to(root).as_posix()
    return path


def local(recorded: str) -> Path:
    """The file a recorded path (`portable()`'s output, or a plain path) names on this machine."""
    if recorded.startswith(_CACHE):
        return cache_dir() / recorded[len(_CACHE):]
    if recorded.startswith(_DATA):
        return Path(os.environ.get("CLAIMBENCH_DATA", "")) / recorded[len(_DATA):]
    return Path(recorded)


def portable_refs(value: object) -> object:
    """`value` with every file reference (`{"sha256", "path"}`, e.g. an image) made portable."""
    if hasattr(value, "to_json") and hasattr(value, "sha256"):
        value = value.to_json()
    if isinstance(value, dict):
        out = {k: portable_refs(v) for k, v in value.items()}
        path = out.get("path")
        if isinstance(path, str) and "sha256" in out:
            out["path"] = portable(path)
        return out
    if isinstance(value, list):
        return [portable_refs(v) for v in value]
    return value
