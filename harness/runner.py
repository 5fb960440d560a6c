"""The runner: plan requests round by round, resolve them (see dispatch.py), score, aggregate.

Responses are written to the cache batch by batch as they arrive, so a run killed at
any moment (even SIGKILL) and restarted with the same command recomputes nothing
that finished; only the batch in flight is lost. Task/model compatibility is checked
for every task before any work starts.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from . import experiment_log, generation, paths, records, results, safe_paths, task_groups, usage
from .cache import Cache
from .data import Dataset
from .dispatch import Dispatcher, RequestCounts
from .errors import ConfigError, IncompatibleError, RequestRejected
from .executors import Executor, load_executor
from .large_responses import ArrayStore
from .model import ModelAdapter, load_model
from .options import display_name, parse_spec
from .paths import cache_dir
from .requests import Request
from .task import History, Task, Unscorable
from .task_files import load_task

DEFAULT_SEED = 1234


def default_cache_path() -> Path:
    return cache_dir() / "responses.sqlite"


def check_compatible(adapter: ModelAdapter, tasks: Sequence[Task]) -> None:
    """Refuse, before any work, every task that needs a request kind the model does not serve."""
    problems = []
    for t in tasks:
        missing = sorted(set(t.hooks.kinds) - set(adapter.kinds))
        if missing:
            help_ = getattr(t.hooks, "kinds_help", "")
            problems.append(f"task {t.name!r} needs {', '.join(missing)}" + (f" ({help_})" if help_ else ""))
    if problems:
        raise IncompatibleError(
            f"model {adapter.label!r} serves only {', '.join(sorted(adapter.kinds)) or 'nothing'}; "
            + "; ".join(problems) + ". Pick a model that serves these request kinds, or drop those tasks.")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def gather(task: Task, rows: list[dict], ids: list[str], dispatcher: Dispatcher, counts: RequestCounts,
            tokens: usage.Totals) -> tuple[list[History], list[list[dict | None]], int]:
    """Ask each row's requests, round after round, until no row asks for more; a request the model
    rejects as invalid is reported with the rows that asked it. Each row's history comes with the
    usage record of every response (None where the backend gave none)."""
    histories: list[History] = [[] for _ in rows]
    usages: list[list[dict | None]] = [[] for _ in rows]
    active, rounds = list(range(len(rows))), 0
    while active:
        asked: list[tuple[int, Request]] = []
        for j in active:
            asked.extend((j, task.adjust(r)) for r in task.hooks.requests(rows[j], histories[j]))
        if not asked:
            break
        rounds += 1
        label = task.name if rounds == 1 else f"{task.name} (round {rounds})"
        try:
            responses = dispatcher.resolve_stored([r for _, r in asked], counts, label)
        except RequestRejected as e:
            askers = sorted({ids[j] for j, r in asked if r == e.request})
            raise ConfigError(f"task {task.name!r}, row id {', '.join(map(repr, askers[:5]))}"
                              f"{f' (+{len(askers) - 5} more)' if len(askers) > 5 else ''}: {e}") from None
        for (j, req), stored in zip(asked, responses):
            resp, use = usage.split(stored)
            histories[j].append((req, resp))
            usages[j].append(use)
            tokens.add(use)
        active = sorted({j for j, _ in asked})
    return histories, usages, rounds


def score_samples(task: Task, indices: list[int], ids: list[str], rows: list[dict], histories: list[History],
           usages: list[list[dict | None]], seed: int, store: ArrayStore) -> tuple[list[dict], dict, Counter]:
    """Per-sample records for samples.jsonl (large arrays moved into `store`), aggregated metrics,
    and why rows went unscored."""
    metrics = task.make_metrics(seed)
    samples: list[dict] = []
    reasons: Counter[str] = Counter()
    for idx, sid, row, hist, uses in zip(indices, ids, rows, histories, usages):
        asked = []
        for i, ((r, resp), use) in enumerate(zip(hist, uses)):
            asked.append({"request": r.canonical(), "response": store.take(resp, f"r{idx}.{i}")})
            if use is not None:
                asked[-1]["usage"] = usage.counts_only(use)
        record: dict[str, Any] = {"id": sid, "index": idx, "row": row, "requests": asked}
        try:
            sample = task.hooks.process(row, hist)
        except Unscorable as e:
            reasons[str(e)] += 1
            record["error"] = str(e)
        else:
            record.update(sample)
            record["scores"] = {m.name: m.update(sample) for m in metrics}
            if "fields" in sample:
                record["fields"] = store.take(sample["fields"], f"r{idx}.fields")
        samples.append(record)
    if rows and sum(reasons.values()) == len(rows):
        raise ConfigError(f"task {task.name!r}: none of the {len(rows)} rows could be scored ({dict(reasons)}).")
    return samples, {m.name: m.result().to_json() for m in metrics}, reasons


def _model_info(adapter: ModelAdapter) -> records.ModelInfo:
    return {"spec": display_name(adapter.spec.text), "label": adapter.label, "fingerprint": adapter.fingerprint(),
            "identity": adapter.identity(), "adapter": adapter.spec.name,
            "testing_only": adapter.testing_only}


def _cache_label(path: Path | None) -> str | None:
    """The response cache as results record it: under ClaimBench's cache folder `cache:REL`, a
    relative path as given, elsewhere its file name only (a committed result names no folder of
    the machine it was made on)."""
    if path is None:
        return None
    label = paths.portable(str(path))
    return label if not Path(label).is_absolute() else Path(label).name


def task_folder(output: Path, task: Task) -> Path:
    """The task's results folder under `output`, refused if it would land elsewhere."""
    return safe_paths.inside(output, safe_paths.folder_name(task.label))


class Selection(NamedTuple):
    data: Dataset
    open_rows: int       # rows open to evaluation (the hooks' prepare() keeps exemplars out)
    indices: list[int]   # into those, the rows a run evaluates
    ids: list[str]
    rows: list[dict]


def selected_rows(task: Task, seed: int, limit: int | None) -> Selection:
    """The task's data, and the rows a run evaluates."""
    data = task.load_data()
    pool = task.hooks.prepare(data.rows)
    indices = task.select(len(pool), seed, limit)
    all_ids = task.sample_ids(pool)
    return Selection(data, len(pool), indices, [all_ids[i] for i in indices], [pool[i] for i in indices])


def load_tasks(tasks: Sequence[str | Task], *, apply_chat_template: bool = False, system_instruction: str | None = None,
               fewshot_as_multiturn: bool = False, gen_kwargs: str | None = None, num_fewshot: int | None = None) -> list[Task]:
    """The tasks of a run (a group's name stands for its specs, task_groups.py), each spec with the
    run's generation controls (generation.task_options) and exemplar count set."""
    if isinstance(tasks, str):
        raise ConfigError("tasks must be a list of task names, e.g. tasks=['demo_arithmetic'].")
    if not tasks:
        raise ConfigError("no tasks given; run `claimbench list tasks` to see them.")
    tasks = task_groups.expand(tasks)[0]
    controls = tuple(generation.task_options(chat=apply_chat_template, system=system_instruction,
                                             multiturn=fewshot_as_multiturn, gen_kwargs=gen_kwargs))
    if num_fewshot is not None:  # a param of the tasks whose prompts draw exemplars; any other task refuses it by name
        if not isinstance(num_fewshot, int) or isinstance(num_fewshot, bool) or num_fewshot < 0:
            raise ConfigError(f"num_fewshot must be a non-negative integer, got {num_fewshot!r}.")
        controls += (("num_fewshot", str(num_fewshot)),)
    if controls and any(isinstance(t, Task) for t in tasks):
        raise ConfigError("generation controls apply to task specs; give the tasks as names (or set their "
                          "generation options on the Task objects' configs).")
    return [t if isinstance(t, Task) else load_task(parse_spec(t, "task spec").merged(controls).text if controls else t)
            for t in tasks]


def run_task(task: Task, dispatcher: Dispatcher, *, seed: int, limit: int | None, output: Path | None,
             command: Sequence[str] = ()) -> results.RunResult:
    """Evaluate one task; write results.json and samples.jsonl under `output` if given."""
    started, t_start = _now(), time.perf_counter()
    model_before, load_before = dispatcher.model_seconds, dispatcher.adapter.load_seconds
    data, open_rows, indices, ids, rows = selected_rows(task, seed, limit)
    counts, tokens = RequestCounts(), usage.Totals()
    histories, usages, rounds = gather(task, rows, ids, dispatcher, counts, tokens)
    t_gathered = time.perf_counter()
    store = ArrayStore()
    samples, metric_values, reasons = score_samples(task, indices, ids, rows, histories, usages, seed, store)
    t_end = time.perf_counter()
    load_s = dispatcher.adapter.load_seconds - load_before  # weights loaded during this task's model time
    model_s = dispatcher.model_seconds - model_before - load_s
    unscored = sum(reasons.values())
    counted = records.Counts(rows=len(rows), scored=len(rows) - unscored, unscored=unscored, unscored_reasons=dict(reasons),
                             requests=counts.to_json())
    if tokens.requests:
        counted["tokens"] = tokens.to_json()

    result = results.RunResult(
        task={"name": task.name, "spec": task.label, "version": task.version, "config": task.config_json(),
              "config_hash": task.config_hash()},
        dataset={"name": task.config.dataset.name if task.config.dataset else task.name, "source": data.source, "fingerprint": data.fingerprint,
                 "rows_total": len(data.rows), "rows_excluded": len(data.rows) - open_rows,
                 "rows_evaluated": len(rows)},
        model=_model_info(dispatcher.adapter),
        metrics=metric_values,
        counts=counted,
        config={"limit": task.limit(limit), "batch_size": dispatcher.batch_size,
                "executor": dispatcher.executor.spec,
                "cache": _cache_label(dispatcher.cache.path), "rounds": rounds},
        seed=seed,
        timings={"started": started, "finished": _now(), "plan_s": round(t_gathered - t_start - model_s - load_s, 4),
                 "model_s": round(model_s, 4), "load_s": round(load_s, 4), "score_s": round(t_end - t_gathered, 4),
                 "total_s": round(t_end - t_start, 4)},
        environment=results.environment(),
        command=list(command),
    )
    if output is not None:
        results.write(task_folder(output, task), result, samples, store)
    return result


def evaluate(model: str | ModelAdapter, tasks: Sequence[str | Task], *, limit: int | None = None,
             seed: int = DEFAULT_SEED, batch_size: int | None = None, output: str | Path | None = None,
             cache: str | Path | None = None, progress: bool = False, executor: str | Executor = "serial",
             command: Sequence[str] = (), apply_chat_template: bool = False, system_instruction: str | None = None,
             fewshot_as_multiturn: bool = False, gen_kwargs: str | None = None, num_fewshot: int | None = None,
             loggers: Sequence[str] = ()) -> list[results.RunResult]:
    """Evaluate `tasks` on `model` and return one RunResult per task.

    `model` is a spec string (`scripted`, `hf:path=...`) or an adapter; `tasks` are
    names (`demo_arithmetic:limit=5`), YAML paths or Task objects. Results are written
    under `output/<task>/` when `output` is given. `cache=None` uses
    ~/.cache/claimbench/responses.sqlite; pass ":memory:" for no persistence. `executor` serves
    the batches (`serial`, or a spec such as `ray:workers=4` from a plug-in); results do not depend on it,
    nor on `batch_size` (requests per model call; None: the backend's default_batch_size()).
    `apply_chat_template`, `system_instruction`, `fewshot_as_multiturn` and `gen_kwargs` ("max_tokens=64,temperature=0") set
    every task's generation options (harness.generation), and `num_fewshot` the exemplars of tasks
    whose prompts draw them, as the CLI flags of the same names do. `loggers` (`mlflow:...`,
    `wandb:...`: harness.experiment_log) receive each task's result as it finishes.
    """
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"limit must be a positive integer, got {limit!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ConfigError(f"seed must be an integer from 0 to 2**63 - 1 (it seeds row sampling and metrics' "
                          f"bootstrap), got {seed!r}.")
    task_objs = load_tasks(tasks, apply_chat_template=apply_chat_template, system_instruction=system_instruction,
                           fewshot_as_multiturn=fewshot_as_multiturn, gen_kwargs=gen_kwargs, num_fewshot=num_fewshot)
    runner = executor if isinstance(executor, Executor) else load_executor(executor)
    folders: dict[str, Task] = {}
    for t in task_objs:  # one results folder per task: a second would silently replace the first
        other = folders.setdefault(safe_paths.folder_name(t.label), t)
        if other is not t:
            same = other.config_json() == t.config_json()
            raise ConfigError(f"tasks {other.label!r} and {t.label!r} " + (
                "are the same task listed twice; list it once." if same else
                "would write one results folder: their paths differ only above the last two folders (results "
                "name a file by them, the same on every machine). Give the files distinct names, or run them "
                "with separate --output folders."))
    out = Path(output) if output is not None else None
    if out is not None:  # a bad output place fails now, not after the model work
        for t in task_objs:
            safe_paths.writable_folder(task_folder(out, t), "output folder")
    trackers = experiment_log.load_loggers(loggers)  # a bad logger spec fails now, not after the model work
    adapter = store = None
    try:
        adapter = model if isinstance(model, ModelAdapter) else load_model(model)  # described; weights load later
        check_compatible(adapter, task_objs)
        store = Cache(None if str(cache) == ":memory:" else (cache or default_cache_path()))
        dispatcher = Dispatcher(adapter, store, batch_size or adapter.default_batch_size(), progress, runner)
        done = []
        for t in task_objs:
            done.append(run_task(t, dispatcher, seed=seed, limit=limit, output=out, command=command))
            for tracker in trackers:
                tracker.log(done[-1], task_folder(out, t) if out is not None else None)
        return done
    finally:
        for tracker in trackers:
            tracker.close()
        if store is not None:
            store.close()
        if not isinstance(executor, Executor):
            runner.close()
        if adapter is not None and not isinstance(model, ModelAdapter):
            adapter.close()
