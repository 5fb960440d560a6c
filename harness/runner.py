"""The runner: plan requests, dedup, consult the cache, dispatch in batches, score, aggregate.

Responses are written to the cache batch by batch as they arrive, so a run killed at
any moment (even SIGKILL) and restarted with the same command recomputes nothing
that finished; only the batch in flight is lost. Task/model compatibility is checked
for every task before any work starts.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import results
from .cache import Cache
from .data import cache_dir
from .errors import AdapterError, ConfigError, IncompatibleError
from .model import ModelAdapter, load_model
from .requests import Request
from .task import History, Task, Unscorable, load_task

DEFAULT_SEED = 1234
DEFAULT_BATCH_SIZE = 8


def default_cache_path() -> Path:
    return cache_dir() / "responses.sqlite"


@dataclass
class RequestCounts:
    total: int = 0      # requests the task asked for
    unique: int = 0     # after dedup
    cached: int = 0     # unique ones found in the cache
    new: int = 0        # unique ones sent to the model

    def to_json(self) -> dict:
        return self.__dict__.copy()


@dataclass
class Dispatcher:
    """Resolves requests to responses through dedup, the cache, and batched model calls."""

    adapter: ModelAdapter
    cache: Cache
    batch_size: int
    progress: bool = True
    model_seconds: float = 0.0
    _fp: str = field(init=False)

    def __post_init__(self) -> None:
        self._fp = self.adapter.fingerprint()

    def resolve(self, requests: Sequence[Request], counts: RequestCounts, label: str) -> list[Any]:
        keys = [r.key(self._fp) for r in requests]
        unique: dict[str, Request] = dict(zip(keys, requests))
        found = self.cache.get_many(unique)
        todo = [(k, r) for k, r in unique.items() if k not in found]
        counts.total += len(keys)
        counts.unique += len(unique)
        counts.cached += len(found)
        counts.new += len(todo)
        if todo:
            self._serve(todo, found, counts, label)
        return [found[k] for k in keys]

    def _serve(self, todo: list[tuple[str, Request]], found: dict, counts: RequestCounts, label: str) -> None:
        # Longest first: padding waste shrinks and the slowest batches' cost shows early in the ETA.
        todo.sort(key=lambda kr: (kr[1].kind, -kr[1].size()))
        bar = tqdm(total=len(todo), desc=label, unit="req", disable=not self.progress, dynamic_ncols=True)
        bar.set_postfix(cached=counts.cached, dedup=counts.total - counts.unique, new=counts.new, refresh=False)
        try:
            i = 0
            while i < len(todo):
                kind = todo[i][1].kind
                batch = [todo[i]]
                while len(batch) < self.batch_size and i + len(batch) < len(todo) and todo[i + len(batch)][1].kind == kind:
                    batch.append(todo[i + len(batch)])
                reqs = [r for _, r in batch]
                t0 = time.perf_counter()
                out = self.adapter.serve(kind, reqs)
                self.model_seconds += time.perf_counter() - t0
                if not isinstance(out, list) or len(out) != len(reqs):
                    raise AdapterError(f"model {self.adapter.label!r} returned {len(out) if isinstance(out, list) else type(out).__name__} "
                                       f"responses for a batch of {len(reqs)} {kind} requests; serve() must return one per request, in order.")
                for req, resp in zip(reqs, out):
                    req.check_response(resp)
                self.cache.put_many((k, kind, resp) for (k, _), resp in zip(batch, out))
                found.update((k, resp) for (k, _), resp in zip(batch, out))
                bar.update(len(batch))
                i += len(batch)
        finally:
            bar.close()


def task_dir(task_spec: str) -> str:
    """Folder name of a task's results: its spec, so two methods of one task do not collide."""
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", task_spec).strip("_")


def check_compatible(adapter: ModelAdapter, tasks: Sequence[Task]) -> None:
    """Refuse, before any work, every task that needs a request kind the model does not serve."""
    problems = []
    for t in tasks:
        missing = sorted(set(t.hooks.kinds) - set(adapter.kinds))
        if missing:
            problems.append(f"task {t.name!r} needs {', '.join(missing)}")
    if problems:
        raise IncompatibleError(
            f"model {adapter.label!r} serves only {', '.join(sorted(adapter.kinds)) or 'nothing'}; "
            + "; ".join(problems) + ". Pick a model that serves these request kinds, or drop those tasks.")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_task(task: Task, dispatcher: Dispatcher, *, seed: int, limit: int | None, output: Path | None,
             command: Sequence[str] = ()) -> results.RunResult:
    """Evaluate one task; write results.json and samples.jsonl under `output` if given."""
    started, t_start = _now(), time.perf_counter()
    data = task.load_data()
    indices = task.select(len(data.rows), seed, limit)
    rows = [data.rows[i] for i in indices]
    histories: list[History] = [[] for _ in rows]
    counts = RequestCounts()
    model_before = dispatcher.model_seconds

    active = list(range(len(rows)))
    round_no = 0
    while active:
        round_no += 1
        asked: list[tuple[int, Request]] = []
        still = []
        for j in active:
            new = task.hooks.requests(rows[j], histories[j])
            if new:
                still.append(j)
                asked.extend((j, r) for r in new)
        if not asked:
            break
        label = task.name if round_no == 1 else f"{task.name} (round {round_no})"
        responses = dispatcher.resolve([r for _, r in asked], counts, label)
        for (j, req), resp in zip(asked, responses):
            histories[j].append((req, resp))
        active = still
    t_scored = time.perf_counter()

    metrics = task.make_metrics(seed)
    samples, reasons = [], Counter()
    for idx, row, hist in zip(indices, rows, histories):
        record: dict[str, Any] = {"id": task.row_id(row, idx), "index": idx, "row": row,
                                  "requests": [{"request": r.canonical(), "response": resp} for r, resp in hist]}
        try:
            sample = task.hooks.process(row, hist)
        except Unscorable as e:
            reasons[str(e)] += 1
            record["error"] = str(e)
        else:
            record.update(sample)
            record["scores"] = {m.name: m.update(sample) for m in metrics}
        samples.append(record)
    if rows and sum(reasons.values()) == len(rows):
        raise ConfigError(f"task {task.name!r}: none of the {len(rows)} rows could be scored ({dict(reasons)}).")
    values = {m.name: m.compute().to_json() for m in metrics}
    t_end = time.perf_counter()
    model_s = dispatcher.model_seconds - model_before

    result = results.RunResult(
        task={"name": task.name, "spec": task.label, "version": task.version, "config": task.config_json(), "config_hash": task.config_hash()},
        dataset={"name": task.config.dataset.name, "source": data.source, "fingerprint": data.fingerprint,
                 "rows_total": len(data.rows), "rows_evaluated": len(rows)},
        model={"spec": dispatcher.adapter.spec.text, "label": dispatcher.adapter.label,
               "fingerprint": dispatcher.adapter.fingerprint(), "identity": dispatcher.adapter.identity(),
               "adapter": f"{type(dispatcher.adapter).__module__}.{type(dispatcher.adapter).__qualname__}",
               "testing_only": dispatcher.adapter.testing_only},
        metrics=values,
        counts={"rows": len(rows), "scored": len(rows) - sum(reasons.values()), "unscored": sum(reasons.values()),
                "unscored_reasons": dict(reasons), "requests": counts.to_json()},
        config={"limit": limit if limit is not None else task.config.limit, "batch_size": dispatcher.batch_size,
                "cache": str(dispatcher.cache.path) if dispatcher.cache.path else None, "rounds": round_no},
        seed=seed,
        timings={"started": started, "finished": _now(), "plan_s": round(t_scored - t_start - model_s, 4),
                 "model_s": round(model_s, 4), "score_s": round(t_end - t_scored, 4), "total_s": round(t_end - t_start, 4)},
        environment=results.environment(),
        command=list(command),
    )
    if output is not None:
        results.write(output / task_dir(task.label), result, samples)
    return result


def evaluate(model: str | ModelAdapter, tasks: Sequence[str | Task], *, limit: int | None = None,
             seed: int = DEFAULT_SEED, batch_size: int = DEFAULT_BATCH_SIZE, output: str | Path | None = None,
             cache: str | Path | None = None, progress: bool = False,
             command: Sequence[str] = ()) -> list[results.RunResult]:
    """Evaluate `tasks` on `model` and return one RunResult per task.

    `model` is a spec string (`scripted`, `hf:path=...`) or an adapter; `tasks` are
    names (`demo_arithmetic:limit=5`), YAML paths or Task objects. Results are written
    under `output/<task>/` when `output` is given. `cache=None` uses
    ~/.cache/claimbench/responses.sqlite; pass ":memory:" for no persistence.
    """
    if isinstance(tasks, str):
        raise ConfigError("tasks must be a list of task names, e.g. tasks=['demo_arithmetic'].")
    if not tasks:
        raise ConfigError("no tasks given; run `claimbench list tasks` to see them.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be a positive integer, got {limit!r}.")
    task_objs = [t if isinstance(t, Task) else load_task(t) for t in tasks]
    adapter = model if isinstance(model, ModelAdapter) else load_model(model)
    check_compatible(adapter, task_objs)
    store = Cache(None if str(cache) == ":memory:" else (cache or default_cache_path()))
    out = Path(output) if output is not None else None
    try:
        dispatcher = Dispatcher(adapter, store, batch_size, progress)
        return [run_task(t, dispatcher, seed=seed, limit=limit, output=out, command=command) for t in task_objs]
    finally:
        store.close()
        if not isinstance(model, ModelAdapter):
            adapter.close()
