"""Where ClaimBench may write: folder names made from specs, and paths confined to their destination.

Task and model names come from files anyone can edit (task YAML, plug-ins, results.json
in a pull request), so nothing the project writes or deletes is placed by a name alone:
`folder_name` maps a spec to one safe path component, distinct for distinct specs, and
`inside` refuses (exit 2) any path that resolves outside its destination, symlinks included.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from .errors import ConfigError

_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")
_HASHED = re.compile(r"-[0-9a-f]{8}$")
_READABLE_CHARS = 120  # + 9 for the hash: far below the 255 bytes a file name may take


def folder_name(spec: str) -> str:
    """One path component for a spec: the spec itself when it is already a plain lower-case name,
    otherwise a readable part plus 8 hex of the spec's sha256, so two specs never share a folder
    (`a/b.jsonl` vs `a_b.jsonl`, long specs cut at the same place, `Foo` vs `foo` on macOS)."""
    readable = _UNSAFE.sub("_", spec).strip("._-")[:_READABLE_CHARS].rstrip("._-")
    plain = bool(spec) and readable == spec and spec == spec.lower() and not _HASHED.search(spec)
    if plain:
        return spec
    digest = hashlib.sha256(spec.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else digest


def inside(root: str | Path, *parts: str | Path) -> Path:
    """root/parts..., refused with ConfigError unless it resolves strictly inside root."""
    base = Path(root)
    target = base.joinpath(*parts)
    resolved_base, resolved = base.resolve(), target.resolve()
    if resolved == resolved_base or not resolved.is_relative_to(resolved_base):
        raise ConfigError(f"refusing to write or delete {str(target)!r}: it resolves to {str(resolved)!r}, outside "
                          f"{str(resolved_base)!r}. Check the names involved (and any symlink inside {str(base)!r}).")
    return target


def writable_folder(path: str | Path, what: str) -> Path:
    """Prove a file can be written in `path`, so a bad output place fails before the model work; the
    folders made for the proof are removed again, so a run refused later leaves no empty folder."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{what} {str(p)!r} is a file, not a folder; pass a folder path.")
    made = [q for q in (p, *p.parents) if not q.exists()]
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=p, prefix=".claimbench-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(f"cannot write to {what} {str(p)!r} ({e.strerror or e}); pass a folder you can write to.") from None
    finally:
        for q in made:  # deepest first
            try:
                q.rmdir()
            except OSError:
                break
    return p
