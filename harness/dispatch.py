"""Resolving requests to responses: dedup by key, cache lookup, batches served by an executor.

New requests are sorted by kind, then in the adapter's preferred order (longest first
by default; text order for backends that reuse shared prompt prefixes) and cut into
fixed batches, whatever the executor; each batch's responses are checked against the
kind's response shape and written to the cache the moment the executor hands them back,
which is what makes a killed run resumable. Responses come back in the order the
requests were given.
"""
from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from . import records, usage
from .cache import Cache
from .errors import AdapterError
from .executors import Executor, SerialExecutor
from .model import ModelAdapter
from .requests import Request


@dataclass
class RequestCounts:
    total: int = 0      # requests the task asked for
    unique: int = 0     # after dedup
    cached: int = 0     # unique ones found in the cache
    new: int = 0        # unique ones sent to the model

    def to_json(self) -> records.RequestCounts:
        return records.RequestCounts(total=self.total, unique=self.unique, cached=self.cached, new=self.new)


@dataclass
class Dispatcher:
    adapter: ModelAdapter
    cache: Cache
    batch_size: int
    progress: bool = True
    executor: Executor = field(default_factory=lambda: SerialExecutor(SerialExecutor.Options(), "serial"))
    model_seconds: float = 0.0
    damaged: set[str] = field(default_factory=set)  # cache keys whose stored rows did not read back
    _fp: str = field(init=False)

    def __post_init__(self) -> None:
        self._fp = self.adapter.fingerprint()

    def resolve(self, requests: Sequence[Request], counts: RequestCounts, label: str) -> list[Any]:
        """Responses as tasks see them: usage records (harness.usage) stripped."""
        return [usage.split(r)[0] for r in self.resolve_stored(requests, counts, label)]

    def resolve_stored(self, requests: Sequence[Request], counts: RequestCounts, label: str) -> list[Any]:
        """Responses as the cache holds them, usage records included."""
        keys = [r.key(self._fp) for r in requests]
        unique: dict[str, Request] = dict(zip(keys, requests))
        found, damaged = self.cache.get_checked(unique)
        for k, value in list(found.items()):  # a cached row of the wrong shape is asked again, never handed on
            if not unique[k].valid_response(usage.split(value)[0]):
                damaged.add(k)
                del found[k]
        if damaged:
            self.damaged |= damaged
            tqdm.write(f"claimbench: {len(damaged)} cached response(s) in {self.cache.path or 'the cache'} could not be "
                       "read back (damaged rows); they are asked again and replaced.", file=sys.stderr)
        todo = [(k, r) for k, r in unique.items() if k not in found]
        counts.total += len(keys)
        counts.unique += len(unique)
        counts.cached += len(found)
        counts.new += len(todo)
        if todo:
            self._serve(todo, found, counts, label)
        return [found[k] for k in keys]

    def _serve(self, todo: list[tuple[str, Request]], found: dict, counts: RequestCounts, label: str) -> None:
        todo.sort(key=lambda kr: (kr[1].kind, self.adapter.sort_key(kr[1])))
        bar = tqdm(total=len(todo), desc=label, unit="req", disable=not self.progress, dynamic_ncols=True)
        bar.set_postfix(cached=counts.cached, dedup=counts.total - counts.unique, new=counts.new, refresh=False)
        try:
            for kind, group in itertools.groupby(todo, key=lambda kr: kr[1].kind):
                rows = list(group)
                batches = [rows[i:i + self.batch_size] for i in range(0, len(rows), self.batch_size)]

                def done(i: int, out: list[Any], kind: str = kind, batches: list = batches) -> None:
                    batch = batches[i]
                    self._check(kind, [r for _, r in batch], out)
                    self.cache.put_many(((k, kind, resp) for (k, _), resp in zip(batch, out)), replace=self.damaged)
                    found.update((k, resp) for (k, _), resp in zip(batch, out))
                    bar.update(len(batch))

                t0 = time.perf_counter()
                try:
                    self.executor.run(self.adapter, kind, [[r for _, r in b] for b in batches], done)
                finally:
                    self.model_seconds += time.perf_counter() - t0
        finally:
            bar.close()

    def _check(self, kind: str, reqs: list[Request], out: Any) -> None:
        if not isinstance(out, list) or len(out) != len(reqs):
            got = len(out) if isinstance(out, list) else type(out).__name__
            raise AdapterError(f"model {self.adapter.label!r} returned {got} responses for a batch of {len(reqs)} "
                               f"{kind} requests; serve() must return one per request, in order.")
        for req, resp in zip(reqs, out):
            req.check_response(resp)
