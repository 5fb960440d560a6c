"""Request kinds: the only contract between tasks and model adapters.

A request is a frozen dataclass with a canonical JSON form; its cache key is the
sha256 of the model fingerprint and that JSON, so identical requests from any task,
row or process share one model call. Images are referenced by content hash, never
pickled: moving an image file does not invalidate the cache, editing it does.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from .errors import AdapterError, ConfigError
from .hashing import sha256_file
from .registry import request_kinds
from .usage import split as split_usage
from .usage import valid as valid_usage


def canonical_json(obj: Any) -> str:
    """Key-sorted, compact, UTF-8 JSON: the same value always gives the same text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class ImageRef:
    """An image by content: `sha256` is its identity, `path` only says where to read it."""

    sha256: str
    path: str | None = field(default=None, compare=False)

    @classmethod
    def from_file(cls, path: str | Path) -> ImageRef:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"image file {str(p)!r} does not exist; check the dataset's image paths.")
        return cls(sha256_file(p), str(p))

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "path": self.path}


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class Request:
    """Base of every request kind; subclasses are frozen dataclasses."""

    kind: ClassVar[str]
    response_doc: ClassVar[str]

    added_later: ClassVar[dict[str, Any]] = {}  # fields added after requests were cached, with their defaults

    def canonical(self) -> dict:
        """The request as plain JSON data: kind plus every field, images as {'sha256': ...}. A field
        added later is left out while it holds its default, so requests made before it existed keep
        their cache keys and recorded runs still replay (rescore)."""
        cached = self.__dict__.get("_canonical")
        if cached is None:
            cached = {"kind": self.kind}
            for name in _field_names(type(self)):  # type: ignore[arg-type]  # classes hash by identity
                v = getattr(self, name)
                if name in self.added_later and v == self.added_later[name]:
                    continue
                cached[name] = {"sha256": v.sha256} if isinstance(v, ImageRef) else v
            object.__setattr__(self, "_canonical", cached)
        return cached

    def canonical_json(self) -> str:
        cached = self.__dict__.get("_cj")
        if cached is None:
            cached = canonical_json(self.canonical())
            object.__setattr__(self, "_cj", cached)
        return cached

    def key(self, fingerprint: str) -> str:
        """Cache key: sha256(model fingerprint, canonical JSON)."""
        return hashlib.sha256(f"{fingerprint}\n{self.canonical_json()}".encode()).hexdigest()

    def size(self) -> int:
        """Rough cost used to length-sort batches (longer first)."""
        return 1

    def valid_response(self, value: Any) -> bool:
        """`value` has this kind's response shape (a cached row is checked before it is used)."""
        try:
            return bool(self._valid(value))
        except (TypeError, ValueError, AttributeError, KeyError):
            return False

    def check_response(self, value: Any) -> None:
        """Raise AdapterError unless `value` has this kind's response shape."""
        if not self.valid_response(value):
            raise AdapterError(
                f"{self.kind} response {str(value)[:200]!r} is malformed; expected {self.response_doc}."
            )

    def _valid(self, value: Any) -> bool:
        raise NotImplementedError


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive_int(name: str, value: Any, kind: str, allow_zero: bool = False) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise ConfigError(f"{kind}.{name} must be a {'non-negative' if allow_zero else 'positive'} integer, got {value!r}.")


@dataclass(frozen=True)
class Generate(Request):
    """Continue `prompt`; greedy when temperature == 0, otherwise sampled with `seed` (nucleus
    `top_p`). With `chat`, the prompt is one user turn in the model's chat template, after a
    `system` turn when one is given and after `shots`: few-shot exemplars as earlier (user,
    assistant) turns (lm-eval's --fewshot_as_multiturn; build them with Generate.few_shot)."""

    prompt: str
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    temperature: float = 0.0
    seed: int | None = None
    chat: bool = False
    system: str = ""
    top_p: float = 1.0
    shots: tuple[tuple[str, str], ...] = ()

    added_later: ClassVar[dict[str, Any]] = {"system": "", "top_p": 1.0, "shots": ()}
    kind: ClassVar[str] = "generate"
    response_doc: ClassVar[str] = ("a string (the generated text, stop sequence excluded), or {'text': that string, "
                                   "'usage': a harness.usage record}")

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str):
            raise ConfigError(f"generate.prompt must be a string, got {type(self.prompt).__name__}.")
        _positive_int("max_tokens", self.max_tokens, self.kind)
        object.__setattr__(self, "stop", tuple(self.stop))
        if self.temperature < 0:
            raise ConfigError(f"generate.temperature must be >= 0, got {self.temperature}.")
        if self.temperature > 0 and self.seed is None:
            raise ConfigError("a sampled generate request (temperature > 0) needs a seed, so that it is reproducible and cached per seed.")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"generate.top_p must be in (0, 1], got {self.top_p}.")
        if self.system and not self.chat:
            raise ConfigError("a system instruction is a turn of the chat template: it needs chat (--apply-chat-template).")
        object.__setattr__(self, "shots", tuple(tuple(pair) for pair in self.shots))
        if not all(len(pair) == 2 and all(isinstance(t, str) for t in pair) for pair in self.shots):
            raise ConfigError("generate.shots must be (user turn, assistant reply) pairs of strings.")
        if self.shots and not self.chat:
            raise ConfigError("few-shot exemplars as turns are turns of the chat template: they need chat (--apply-chat-template).")

    @classmethod
    def few_shot(cls, shots: Sequence[tuple[str, str]], prompt: str, *, as_turns: bool = False, **options: Any) -> Generate:
        """A few-shot request: each exemplar (its question part, its reply) written before `prompt`
        as `question reply` and a blank line, or with `as_turns` sent as earlier chat turns."""
        if as_turns:
            return cls(prompt, shots=tuple(shots), chat=True, **options)
        return cls("".join(f"{user} {reply}\n\n" for user, reply in shots) + prompt, **options)

    def plain_text(self) -> str:
        """The prompt with its exemplar turns written in front, as a plain (not multi-turn) run sends it."""
        return "".join(f"{user} {reply}\n\n" for user, reply in self.shots) + self.prompt

    def messages(self) -> list[dict[str, str]]:
        """The chat turns a chat request stands for: the system instruction, if any, the exemplar
        turns, then the prompt as the user's."""
        turns = [{"role": role, "content": text} for pair in self.shots for role, text in zip(("user", "assistant"), pair)]
        return ([{"role": "system", "content": self.system}] if self.system else []) + turns + [{"role": "user", "content": self.prompt}]

    def size(self) -> int:
        return len(self.plain_text())

    def _valid(self, value: Any) -> bool:
        text, usage = split_usage(value)
        return isinstance(text, str) and (usage is None or valid_usage(usage))


@dataclass(frozen=True)
class LogLikelihood(Request):
    """Log-probability of `continuation` after `context`, and whether greedy decoding yields it."""

    context: str
    continuation: str

    kind: ClassVar[str] = "loglikelihood"
    response_doc: ClassVar[str] = "{'logprob': float <= 0, 'is_greedy': bool}"

    def __post_init__(self) -> None:
        if not self.continuation:
            raise ConfigError("loglikelihood.continuation must be a non-empty string.")

    def size(self) -> int:
        return len(self.context) + len(self.continuation)

    def _valid(self, value: Any) -> bool:
        return (isinstance(value, dict) and _finite(value.get("logprob")) and value["logprob"] <= 0
                and isinstance(value.get("is_greedy"), bool))


@dataclass(frozen=True)
class TokenLens(Request):
    """Rank and probability of `target`'s first token at every layer (logit lens) after `prompt`."""

    prompt: str
    target: str

    kind: ClassVar[str] = "token_lens"
    response_doc: ClassVar[str] = "{'ranks': [int >= 1 per layer], 'probs': [float in [0,1] per layer]}"

    def __post_init__(self) -> None:
        if not self.target:
            raise ConfigError("token_lens.target must be a non-empty string.")

    def size(self) -> int:
        return len(self.prompt)

    def _valid(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        ranks, probs = value.get("ranks"), value.get("probs")
        return (isinstance(ranks, list) and isinstance(probs, list) and len(ranks) == len(probs) > 0
                and all(isinstance(r, int) and r >= 1 for r in ranks)
                and all(_finite(p) and 0 <= p <= 1 for p in probs))


@dataclass(frozen=True)
class AnswerImageQuestion(Request):
    """Answer `question` about `image` (document / chart VQA)."""

    image: ImageRef
    question: str
    max_tokens: int = 64

    kind: ClassVar[str] = "answer_image_question"
    response_doc: ClassVar[str] = "a string (the answer)"

    def __post_init__(self) -> None:
        _positive_int("max_tokens", self.max_tokens, self.kind)

    def _valid(self, value: Any) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class SampleImages(Request):
    """Draw `n` images with `seed` (diffusion steps, guidance weight and class optional)."""

    n: int
    seed: int
    steps: int | None = None
    guidance: float | None = None
    class_label: int | None = None

    kind: ClassVar[str] = "sample_images"
    response_doc: ClassVar[str] = "a list of n image references {'sha256': str, 'path': str}"

    def __post_init__(self) -> None:
        _positive_int("n", self.n, self.kind)
        _positive_int("seed", self.seed, self.kind, allow_zero=True)
        if self.steps is not None:
            _positive_int("steps", self.steps, self.kind)

    def size(self) -> int:
        return self.n * (self.steps or 1)

    def _valid(self, value: Any) -> bool:
        return (isinstance(value, list) and len(value) == self.n
                and all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in value))


@dataclass(frozen=True)
class EmbedImage(Request):
    """A feature vector for `image`, or for its mirror image when `flip` (face verification
    embeds both and sums them); the adapter flips the decoded image before its own preprocessing."""

    image: ImageRef
    flip: bool = False

    kind: ClassVar[str] = "embed_image"
    response_doc: ClassVar[str] = "a non-empty list of finite floats"

    def _valid(self, value: Any) -> bool:
        return isinstance(value, list) and len(value) > 0 and all(_finite(v) for v in value)


@dataclass(frozen=True)
class ClassifyImage(Request):
    """The `top_k` most likely labels of `image` with their probabilities."""

    image: ImageRef
    top_k: int = 5

    kind: ClassVar[str] = "classify_image"
    response_doc: ClassVar[str] = "{'labels': [label, ...], 'probs': [float, ...]} of length top_k, most likely first"

    def __post_init__(self) -> None:
        _positive_int("top_k", self.top_k, self.kind)

    def _valid(self, value: Any) -> bool:
        return (isinstance(value, dict) and isinstance(value.get("labels"), list)
                and isinstance(value.get("probs"), list)
                and len(value["labels"]) == len(value["probs"]) == self.top_k
                and all(_finite(p) for p in value["probs"]))


BUILT_IN = (Generate, LogLikelihood, TokenLens, AnswerImageQuestion, SampleImages, EmbedImage, ClassifyImage)


def check_kinds(kinds: Iterable[str], who: str) -> None:
    """Refuse request kinds nobody registered, naming those that are (`claimbench list requests`)."""
    unknown = sorted(set(kinds) - set(request_kinds.names()))
    if unknown:
        raise ConfigError(f"{who} declares unknown request kinds {unknown}; registered: {request_kinds.names()} "
                          "(`claimbench list requests`; a plug-in registers its own in the `claimbench.requests` group).")
