"""`ray`: batches served by model replicas held by Ray actors, on one machine or a cluster.

`--executor ray[:address=auto,workers=N,cpus_per_worker=1,gpus_per_worker=0,retries=2,batch_timeout=600]`.
The coordinator (this process) plans, dedups and reads the cache as with `serial`; the
dispatcher cuts the same fixed batches whatever the worker count, so greedy results do not
depend on it. Each worker is an actor holding one loaded replica of the model: the adapter is
shipped unloaded (or, when it holds something that cannot be pickled, such as an HTTP client,
rebuilt in the worker from its spec) and loaded there; a worker whose model's fingerprint
differs from the coordinator's (other weights on that node) is refused. Workers never see tasks. Every batch is handed
back, and written to the one cache, the moment it returns, so a killed coordinator resumes
from the cache on any worker count.

Faults: a worker that dies mid-batch, or runs past `batch_timeout`, is replaced and its batch
re-queued, at most `retries` times per batch (then the run stops with exit 3, what is done
kept). A cluster without the declared resources is refused before any work, naming what it
has; a worker that cannot start within `start_timeout` (resources taken by others) stops the
run with the same kind of message instead of waiting forever.

`address`: empty starts a private local cluster (sized to `workers x cpus_per_worker`; in a
process where Ray is already initialised, that cluster is used), `auto` joins the cluster
`ray start` made on this machine, `ray://HOST:10001` or `HOST:6379` another one
(docs/engine.md, "Executors").
"""
from __future__ import annotations

import functools
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import BackendError, ClaimBenchError, ConfigError
from .executors import Done, Executor
from .model import ModelAdapter
from .requests import Request

INSTALL = "pip install 'claimbench[ray]'"


class RayExecutor(Executor):
    """Ray actors, one model replica each; batches queued to whichever worker is free."""

    @dataclass(frozen=True)
    class Options:
        address: str = ""            # "" start a local cluster; "auto" join this machine's; "ray://host:10001"
        workers: int = 2
        cpus_per_worker: float = 1.0
        gpus_per_worker: float = 0.0
        retries: int = 2             # re-queues of one batch after its worker died or timed out
        batch_timeout: float = 600.0  # seconds one batch may take on a worker
        start_timeout: float = 60.0   # seconds a worker may take to start and load the model

        def __post_init__(self) -> None:
            if self.workers < 1:
                raise ConfigError(f"executor ray: workers must be at least 1, got {self.workers}.")
            if self.cpus_per_worker < 0 or self.gpus_per_worker < 0:
                raise ConfigError("executor ray: cpus_per_worker and gpus_per_worker must not be negative.")
            if self.retries < 0 or self.batch_timeout <= 0 or self.start_timeout <= 0:
                raise ConfigError("executor ray: retries must be >= 0 and the timeouts positive (seconds).")

    def __init__(self, options: Options, spec: str):
        super().__init__(options, spec)
        self.ray: Any = None
        self.started = False  # whether this executor started the cluster (and so shuts it down)
        self.pool: dict[str, list] = {}  # adapter fingerprint -> live actors

    def run(self, adapter: ModelAdapter, kind: str, batches: Sequence[Sequence[Request]], done: Done) -> None:
        if not batches:
            return
        self._connect()
        workers = self._workers(adapter)
        queue = deque((i, 0) for i in range(len(batches)))  # (batch index, tries so far)
        running: dict[Any, tuple[int, int, Any, float]] = {}  # ref -> (batch, tries, actor, started)
        idle = list(workers)
        while queue or running:
            while queue and idle:
                i, tries = queue.popleft()
                actor = idle.pop()
                running[actor.serve.remote(kind, list(batches[i]))] = (i, tries, actor, time.monotonic())
            ready, _ = self.ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in ready:
                i, tries, actor, _ = running.pop(ref)
                try:
                    out = self.ray.get(ref)
                except self.ray.exceptions.RayActorError as e:
                    idle.append(self._replace(adapter, actor, workers))
                    queue.appendleft(self._retry(i, tries, f"its worker died ({type(e).__name__})"))
                    continue
                except self.ray.exceptions.RayTaskError as e:  # the adapter raised: raise it here
                    raise _cause(e) from None
                idle.append(actor)
                done(i, out)
            now = time.monotonic()
            for ref, (i, tries, actor, started) in list(running.items()):
                if now - started > self.options.batch_timeout:
                    del running[ref]
                    self.ray.kill(actor)
                    idle.append(self._replace(adapter, actor, workers))
                    queue.appendleft(self._retry(i, tries, f"it ran past batch_timeout={self.options.batch_timeout:g} s"))

    def _retry(self, i: int, tries: int, why: str) -> tuple[int, int]:
        if tries >= self.options.retries:
            raise BackendError(f"executor ray: batch {i} failed {tries + 1} times ({why}); the batches done so far are "
                               f"in the cache: rerun the same command to resume (retries={self.options.retries}).")
        return i, tries + 1

    def _connect(self) -> None:
        if self.ray is not None:
            return
        try:
            import ray
        except ImportError:
            raise ConfigError(f"executor ray needs Ray: {INSTALL}.") from None
        o = self.options
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
            if o.address:
                kwargs["address"] = o.address
            else:  # a private cluster just big enough for the workers asked for
                kwargs.update(num_cpus=max(1, math.ceil(o.workers * o.cpus_per_worker)), num_gpus=math.ceil(o.workers * o.gpus_per_worker))
            try:
                ray.init(**kwargs)
                self.started = True
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ConfigError(f"executor ray: cannot connect to address={o.address!r}: {e}. Start a cluster with "
                                  "`ray start --head` (then address=auto), or leave address out for a local one.") from None
        self.ray = ray
        self._check_resources()

    def _check_resources(self) -> None:
        o = self.options
        have = self.ray.cluster_resources()
        for name, per in (("CPU", o.cpus_per_worker), ("GPU", o.gpus_per_worker)):
            need = per * o.workers
            if need > have.get(name, 0) + 1e-9:
                raise ConfigError(f"executor ray: {o.workers} workers x {per:g} {name} need {need:g} {name}s, but the "
                                  f"cluster has {have.get(name, 0):g}; lower workers or {name.lower()}s_per_worker, or add nodes.")

    def _workers(self, adapter: ModelAdapter) -> list:
        key = adapter.fingerprint()
        if key not in self.pool:
            self.pool[key] = [self._start(adapter) for _ in range(self.options.workers)]
            self._await_ready(self.pool[key], key)
        return self.pool[key]

    def _start(self, adapter: ModelAdapter) -> Any:
        o = self.options
        return _replica_class(self.ray).options(num_cpus=o.cpus_per_worker, num_gpus=o.gpus_per_worker).remote(
            self._portable(adapter))

    def _portable(self, adapter: ModelAdapter) -> ModelAdapter | str:
        """The adapter itself when it pickles, else its spec for the worker to rebuild it from."""
        try:
            self.ray.cloudpickle.dumps(adapter)
        except Exception:  # locks, clients, open files: whatever an adapter holds before loading
            return adapter.spec.text
        return adapter

    def _await_ready(self, actors: list, fingerprint: str) -> None:
        refs = [a.ready.remote() for a in actors]
        ready, pending = self.ray.wait(refs, num_returns=len(refs), timeout=self.options.start_timeout)
        if pending:
            for a in actors:
                self.ray.kill(a)
            raise ConfigError(f"executor ray: {len(pending)} of {len(actors)} workers did not start within "
                              f"start_timeout={self.options.start_timeout:g} s (the cluster's free resources: "
                              f"{self.ray.available_resources()}); lower workers, or raise start_timeout for a slow model load.")
        for ref in ready:
            try:
                got = self.ray.get(ref)  # a model that fails to load raises its own error here
            except self.ray.exceptions.RayTaskError as e:
                raise _cause(e) from None
            if got != fingerprint:
                raise ConfigError("executor ray: a worker built the model with another fingerprint than the coordinator's "
                                  "(different weights, files or library versions on its node); give every node the same "
                                  "files and environment.")

    def _replace(self, adapter: ModelAdapter, dead: Any, workers: list) -> Any:
        fresh = self._start(adapter)
        self._await_ready([fresh], adapter.fingerprint())
        workers[workers.index(dead)] = fresh
        return fresh

    def close(self) -> None:
        if self.ray is None:
            return
        for actors in self.pool.values():
            for a in actors:
                self.ray.kill(a)
        self.pool.clear()
        if self.started:
            self.ray.shutdown()
        self.ray = None


def _cause(error: Any) -> BaseException:
    """The worker's own exception: a ClaimBench error as raised there (its message and exit code
    unchanged, no remote traceback), anything else as Ray's wrapper of it."""
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, ClaimBenchError) else error.as_instanceof_cause()


class _Replica:
    """One loaded model in a Ray worker process."""

    def __init__(self, model: ModelAdapter | str):
        if isinstance(model, str):
            from .model import load_model

            model = load_model(model)
        self.adapter = model

    def ready(self) -> str:
        """The model's fingerprint, once it is loaded."""
        self.adapter.loaded()
        return self.adapter.fingerprint()

    def serve(self, kind: str, batch: list[Request]) -> list[Any]:
        return self.adapter.loaded().serve(kind, batch)


@functools.cache
def _replica_class(ray: Any) -> Any:
    """The Ray actor class of _Replica (made once per process)."""
    return ray.remote(max_restarts=0)(_Replica)
