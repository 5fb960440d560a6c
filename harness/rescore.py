"""Rescoring a finished run with today's task code and metrics, from the responses its samples
log recorded: no model loads and nothing is asked again.

A metric fix (a threshold, a number rule) must reach every number already published, and a
rerun would need the model, its weights and hours. The recorded responses are replayed
instead: the task asks its requests round after round as in a run, each is answered from the
log, and the task must ask exactly the requests the run recorded, or rescoring refuses (a
changed prompt needs the model again). Rows come from the log too, so the model is never needed,
and the dataset only where the task builds its prompts from it (few-shot exemplars). The result keeps the run's model, dataset, requests and timings,
records the task's version and metrics of today, and says in `config.rescored` what was
rescored when, from which log.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from . import results, safe_paths
from .cache import Cache
from .dispatch import Dispatcher, RequestCounts
from .errors import ConfigError
from .large_responses import ArrayStore
from .replay import Replay, recorded_answers, rehydrate
from .requests import canonical_json
from .runner import gather, score_samples, task_folder
from .task import TaskHooks
from .task_files import load_task
from .usage import Totals

_VERSION_KEYS = ("name", "version", "config_hash")
_CHANGED = "the task's prompts changed since the run, so rescoring cannot replay it; rerun the model instead"


def rescore(run_dir: str | Path, output: str | Path) -> tuple[results.RunResult, Path]:
    """Rescore the run in `run_dir` (a folder with results.json and its samples log), write it under
    `output/<model>/<task>/` (a run's layout, one folder per model), and return it with its folder."""
    folder = Path(run_dir)
    old = results.read(folder)
    logged = results.read_samples(folder)
    task = load_task(old.task["spec"])
    if type(task.hooks).prepare is not TaskHooks.prepare:  # its exemplars come from the dataset: load it as the run did
        data = task.load_data()
        if data.fingerprint != old.dataset["fingerprint"]:
            raise ConfigError(f"{folder}: the task's dataset is not the one the run used (fingerprint {data.fingerprint[:12]} "
                              f"here, {str(old.dataset['fingerprint'])[:12]} in the run), and its prompts are built "
                              "from it; put the run's data in place, or rerun the model.")
        task.hooks.prepare(data.rows)
    asked = [[canonical_json(r["request"]) for r in s.get("requests", [])] for s in logged]  # per row, in order
    recorded = recorded_answers(folder, logged)
    rows = [rehydrate(s["row"]) for s in logged]
    ids, indices = [str(s["id"]) for s in logged], [int(s["index"]) for s in logged]
    store = Cache(None)
    try:
        histories, _, _ = gather(task, rows, ids, Dispatcher(Replay(recorded, folder, missing=_CHANGED), store, 64, progress=False),
                                 RequestCounts(), Totals())
    finally:
        store.close()
    for s, keys, history in zip(logged, asked, histories):
        if [req.canonical_json() for req, _ in history] != keys:
            raise ConfigError(f"{folder}: row {s['id']!r} now asks {len(history)} request(s) where the run recorded "
                              f"{len(keys)}: the task's protocol changed beyond its metrics; rerun the model instead.")
    usages = [[r.get("usage") for r in s.get("requests", [])] for s in logged]
    arrays = ArrayStore()
    try:
        samples, metrics, reasons = score_samples(task, indices, ids, rows, histories, usages, old.seed, arrays)
    except FileNotFoundError as e:  # a response that names a file (generated images in the user's cache)
        raise ConfigError(f"{folder}: its recorded responses refer to {e.filename}, which is not on this machine; "
                          "rescore it where the run was made, or rerun the model.") from None
    unscored = sum(reasons.values())
    here = results.environment()
    new = results.RunResult(
        task={"name": task.name, "spec": task.label, "version": task.version, "config": task.config_json(),
              "config_hash": task.config_hash()},
        dataset=old.dataset, model=old.model, metrics=metrics,
        counts={**old.counts, "scored": len(rows) - unscored, "unscored": unscored, "unscored_reasons": dict(reasons)},
        config={**old.config, "rescored": {
            "at": datetime.now(UTC).isoformat(timespec="seconds"), "by": here["packages"].get("claimbench"),
            "git_revision": here["git_revision"], "log_sha256": old.samples["sha256"] if old.samples else None,
            "before": {k: old.task[k] for k in _VERSION_KEYS}}},  # type: ignore[literal-required]  # keys of TaskInfo
        seed=old.seed, timings=old.timings, environment=old.environment, command=old.command)
    written = task_folder(Path(output) / safe_paths.folder_name(old.model["label"]), task)
    results.write(written, new, samples, arrays)
    return new, written
