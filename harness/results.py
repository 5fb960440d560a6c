"""RunResult: what one task on one model measured, with everything needed to audit it.

Written as `results.json` (validated against schemas/run_result.schema.json) next to
`samples.jsonl`, one line per evaluated row. Leaderboards and reports read these
files, never the runner. results.json records its log's sha256 and row count, and
`read` refuses a pair that does not match (a run killed between the two renames, or a
log edited by hand), whether the log is samples.jsonl or the published samples.jsonl.gz.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema

from . import atomic
from .errors import ConfigError
from .hashing import sha256_file
from .large_responses import ArrayStore
from .paths import portable_refs
from .records import Counts, DatasetInfo, MetricEntry, ModelInfo, SamplesInfo, TaskInfo, Timings

SCHEMA_PATH = Path(__file__).with_name("schemas") / "run_result.schema.json"
SCHEMA_VERSION = 1
_PACKAGES = ("claimbench", "numpy", "scipy", "torch", "transformers", "llama-cpp-python", "lm-eval",
             "vllm", "diffusers", "torchmetrics", "clean-fid", "datasets")


@dataclass
class RunResult:
    task: TaskInfo
    dataset: DatasetInfo
    model: ModelInfo
    metrics: dict[str, MetricEntry]
    counts: Counts
    config: dict[str, Any]   # limit, batch_size, executor, cache, rounds
    seed: int
    timings: Timings
    environment: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    samples: SamplesInfo | None = None  # the log it was written with (sha256 of the uncompressed lines)

    def to_json(self) -> dict:
        return asdict(self)

    def metric(self, name: str) -> float | None:
        return self.metrics[name]["value"]

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        validate(data)
        return cls(**data)


def validate(data: dict) -> None:
    """Raise ConfigError naming the first field that breaks the schema."""
    schema = json.loads(SCHEMA_PATH.read_text())
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise ConfigError(f"result does not match {SCHEMA_PATH.name} at {where}: {e.message}") from None


def environment() -> dict:
    """Python, platform, installed versions of the packages that change numbers, git revision."""
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions,
            "git_revision": _git_revision()}


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def write(run_dir: Path, result: RunResult, samples: list[dict], arrays: ArrayStore | None = None) -> None:
    """arrays.npz and samples.jsonl first, then results.json naming their sha256: a results.json
    always has its own samples (and their large arrays) beside it."""
    atomic.remove_orphans(run_dir)
    text = "".join(json.dumps(portable_refs(s), ensure_ascii=False, default=_as_json) + "\n" for s in samples)
    result.samples = {"file": "samples.jsonl", "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                      "rows": len(samples)}
    stored = arrays.write(run_dir) if arrays is not None else None
    if stored:
        result.samples["arrays"] = stored
    data = result.to_json()
    validate(data)
    atomic.write_text(run_dir / "samples.jsonl", text)
    atomic.write_text(run_dir / "results.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _as_json(value: Any) -> Any:
    """What a log line holds for a non-JSON value: its own JSON form (an ImageRef), else its text."""
    return value.to_json() if hasattr(value, "to_json") else str(value)


def check_samples(results_file: Path, result: RunResult) -> None:
    """Refuse a results.json whose samples log beside it is not the one it was written with."""
    if result.samples is None:  # written before results recorded their log
        return
    folder = results_file.parent
    log = folder / "samples.jsonl"
    opener: Callable[..., Any] = open
    if not log.is_file() and (folder / "samples.jsonl.gz").is_file():
        log, opener = folder / "samples.jsonl.gz", gzip.open
    if not log.is_file():
        return
    digest, rows = hashlib.sha256(), 0
    with opener(log, "rb") as f:
        for line in f:
            digest.update(line)
            rows += 1
    arrays = result.samples.get("arrays")
    if arrays and not (folder / arrays["file"]).is_file():
        raise ConfigError(f"{results_file}: its samples' large arrays ({arrays['file']}) are missing beside it; "
                          "copy the whole run folder, or rerun the same command.")
    if arrays and sha256_file(folder / arrays["file"]) != arrays["sha256"]:
        raise ConfigError(f"{results_file} does not belong with {folder / arrays['file']} (another run's arrays): "
                          "rerun the same command to rewrite them.")
    if digest.hexdigest() != result.samples["sha256"] or rows != result.samples["rows"]:
        raise ConfigError(f"{results_file} does not belong with {log} (it was written with {result.samples['rows']} "
                          f"sample rows, sha256 {result.samples['sha256'][:12]}...; the log has {rows} rows, sha256 "
                          f"{digest.hexdigest()[:12]}...). A run killed between writing the two, or an edited log: "
                          "rerun the same command to rewrite both (cached responses make it quick).")


def read(path: str | Path) -> RunResult:
    """A RunResult from results.json or the folder that holds it."""
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.is_file():
        raise ConfigError(f"no results.json at {str(path)!r}; pass a run folder written by `claimbench run`.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ConfigError(f"{p} is not valid JSON: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p} is not UTF-8 text (byte {e.start}); it is damaged: rerun the command that wrote it.") from None
    except RecursionError:
        raise ConfigError(f"{p} nests too deeply to be a results file; it is damaged: rerun the command that wrote it.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p} is JSON but not a results object; rerun the command that wrote it.")
    result = RunResult.from_json(data)
    check_samples(p, result)
    return result


def read_samples(task_dir: Path) -> list[dict]:
    """The samples beside a results.json; [] when the log is absent (a report still shows the metrics)."""
    for name, opener in (("samples.jsonl", open), ("samples.jsonl.gz", gzip.open)):
        path = task_dir / name
        if path.is_file():
            try:
                with opener(path, "rt", encoding="utf-8") as f:
                    rows = [json.loads(line) for line in f if line.strip()]
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, EOFError, gzip.BadGzipFile) as e:
                raise ConfigError(f"{path} cannot be read as a samples log ({type(e).__name__}: {e}); "
                                  "it is damaged: rerun the command that wrote it.") from None
            if not all(isinstance(r, dict) for r in rows):
                raise ConfigError(f"{path} has a line that is not a sample object; the run's log is damaged.")
            return rows
    return []


def find(root: str | Path) -> list[Path]:
    """Every results.json under `root` (or `root` itself), sorted."""
    p = Path(root)
    if p.is_file():
        return [p]
    return sorted(p.rglob("results.json"))


def find_required(root: str | Path) -> list[Path]:
    """find(), refusing a folder with no results (a wrong path, or a run that never finished)."""
    files = find(root)
    if not files:
        raise ConfigError(f"no results.json under {str(root)!r}; pass the --output folder of a `claimbench run` "
                          "(or leaderboards/results).")
    return files
