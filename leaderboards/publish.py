"""Publishing a run into leaderboards/results/<task>/<model>/ (DESIGN.md, "Committed results").

Copies results.json and gzips samples.jsonl (deterministically: no timestamp in the gzip
header), with the log's large arrays (arrays.npz) if it has any, refusing results of testing-only adapters and logs over 5 MB, so that every
published number can be audited from its samples and rerun from its command.
"""
from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

from claimbench.harness import atomic, large_responses, results, safe_paths
from claimbench.harness.errors import ConfigError

MAX_BYTES = 5 * 1024 * 1024
DEFAULT_ROOT = Path("leaderboards") / "results"


def publish(run_task_dir: str | Path, root: str | Path = DEFAULT_ROOT) -> Path:
    """Copy one task's results (a folder holding results.json + samples.jsonl) under `root`."""
    src = Path(run_task_dir)
    result = results.read(src)
    if result.model["testing_only"]:
        raise ConfigError(f"{src}: results of the testing adapter {result.model['label']!r} are never published.")
    samples = src / "samples.jsonl"
    if not samples.is_file():
        raise ConfigError(f"{src}: samples.jsonl is missing; a published number needs its per-sample log.")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, samples.open("rb") as f:
        shutil.copyfileobj(f, gz)
    if buf.tell() > MAX_BYTES:
        raise ConfigError(f"{samples} compresses to {buf.tell() / 1e6:.1f} MB, over the 5 MB limit for committed logs; "
                          "publish a smaller run (--limit or a seeded sample).")
    dest = safe_paths.inside(root, safe_paths.folder_name(result.task["spec"]),
                             safe_paths.folder_name(result.model["label"]))
    safe_paths.writable_folder(dest, "publish destination")
    atomic.remove_orphans(dest)
    arrays = src / large_responses.FILENAME
    if arrays.is_file():  # the log's large arrays, under the same size limit
        if arrays.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{arrays} is {arrays.stat().st_size / 1e6:.1f} MB, over the 5 MB limit for committed files; "
                              "publish a smaller run (--limit or a seeded sample).")
        atomic.write_bytes(dest / large_responses.FILENAME, arrays.read_bytes())
    atomic.write_bytes(dest / "samples.jsonl.gz", buf.getvalue())  # the log first, as `claimbench run` writes them
    atomic.write_bytes(dest / "results.json", (src / "results.json").read_bytes())
    return dest
