"""`claimbench data`: every registered task's dataset, where it comes from, under which license,
and whether a copy is here; downloads into the cache ahead of time; re-checks pinned hashes.

It reads task configs only (no hooks, no model), so plug-in tasks appear as ClaimBench's own do.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import registry
from .data import DatasetConfig, bundled_path, explicit_path, load, local_copy, resolve
from .errors import ConfigError, DataError
from .hashing import sha256_file
from .task_files import TaskFile


@dataclass(frozen=True)
class Entry:
    task: str
    dataset: DatasetConfig | None  # None: the task makes its rows from its params
    base_dir: Path | None          # the task YAML's folder (explicit paths are relative to it)

    @property
    def source(self) -> str:
        d = self.dataset
        if d is None:
            return "made by the task"
        if d.url:
            return d.url + (" (sha256 pinned)" if d.sha256 else "")
        bundled = bundled_path(d, self.base_dir)
        if bundled is not None and bundled.is_file():
            return "shipped in the package (see its SOURCE.md)"
        if d.hf:
            return f"hf:{d.hf}" + (f"@{d.revision}" if d.revision else "") + f" ({d.split})"
        if d.path:
            return "shipped in the package" if self.local() else d.path
        return "no download: put the file in place by hand (the missing-data error says how)"

    def local(self) -> tuple[str, Path] | None:
        """(where, file) of a copy already here, without downloading: the explicit path,
        $CLAIMBENCH_DATA, the copy bundled in the package, or the download cache (a cached copy must match its pinned sha256)."""
        d = self.dataset
        if d is None:
            return None
        if d.path:
            p = explicit_path(d, self.base_dir)
            return ("package" if self.base_dir and p.is_relative_to(self.base_dir) else "path", p) if p.is_file() else None
        here = local_copy(d, self.base_dir) if d.file else None
        return here[:2] if here else None


def entries(names: list[str] | None = None) -> list[Entry]:
    """One entry per registered task (or per name given), in name order."""
    out = []
    for name in names or registry.tasks.names():
        source = registry.tasks.get(name)
        if not isinstance(source, TaskFile):
            raise ConfigError(f"task {name!r} ({registry.tasks.source(name)}) is not a task file.")
        out.append(Entry(name, source.config().dataset, Path(source.path).parent))
    return out


def table(rows: list[Entry]) -> list[tuple[str, ...]]:
    """The rows `claimbench data list` prints: task, dataset, present, size, license, source."""
    out: list[tuple[str, ...]] = [("task", "dataset", "present", "size", "license", "source")]
    for e in rows:
        found = e.local()
        size = f"{found[1].stat().st_size / 1e6:.2f} MB" if found else "-"
        present = found[0] if found else ("hub (when online)" if e.dataset and e.dataset.hf else "no")
        if e.dataset is None:
            present = "made by the task"
        license_ = (e.dataset.license if e.dataset else "") or "not stated in the task"
        out.append((e.task, e.dataset.name if e.dataset else "-", present, size, license_, e.source))
    return out


def fetch(e: Entry) -> str:
    """Bring the task's dataset into the download cache (or the hub's cache); what was done."""
    d = e.dataset
    if d is None:
        return "made by the task: nothing to fetch"
    if found := e.local():
        return f"already here ({found[0]}: {found[1]})"
    if not d.url and not d.hf:
        raise DataError(f"task {e.task!r}: dataset {d.name!r} has no download source. {d.instructions}".strip())
    how, _, shown = resolve(d, e.base_dir)
    if how == "hf":
        load(d, e.base_dir)  # datasets.load_dataset keeps it in the hub's cache
    return f"fetched: {shown}"


def verify(e: Entry) -> str | None:
    """'ok', 'MISMATCH ...' or None (no local copy, or nothing pinned to check against)."""
    d, found = e.dataset, e.local()
    if d is None or found is None or not d.sha256:
        return None
    got = sha256_file(found[1])
    return "ok" if got == d.sha256 else f"MISMATCH: {found[1]} has sha256 {got}, the task pins {d.sha256}"
