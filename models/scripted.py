"""`scripted`: a deterministic test adapter that serves every request kind from rules and lookup tables.

It exists so the engine (dedup, cache, resume, batching, scoring) can be tested and
demonstrated without real weights. It is a testing tool: results carry
`testing_only: true` and leaderboards never list it as a model.

Rules when a request is not in the lookup table:
- generate: `calc` answers the last "What is X op Y?" line of the prompt when it holds
  exactly one binary operation (so it cannot compose two; see the demo task) and says
  "I don't know" otherwise; `echo` repeats the prompt's last line.
- loglikelihood: numbers closer to the calc answer are likelier; otherwise a hash.
- token_lens, embed_image, classify_image, answer_image_question, sample_images:
  values derived from the request's sha256, so they are stable across runs.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from claimbench.harness import yaml_files
from claimbench.harness.errors import ConfigError
from claimbench.harness.hashing import sha256_file
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.paths import cache_dir
from claimbench.harness.requests import BUILT_IN, ImageRef, Request

_QUESTION = re.compile(r"what is\s+(-?\d+(?:\.\d+)?)\s*([-+*/]|plus|minus|times)\s*(-?\d+(?:\.\d+)?)\s*\??\s*$", re.I)
_OPS = {"+": lambda a, b: a + b, "plus": lambda a, b: a + b, "-": lambda a, b: a - b, "minus": lambda a, b: a - b,
        "*": lambda a, b: a * b, "times": lambda a, b: a * b, "/": lambda a, b: a / b if b else math.nan}


def calc(prompt: str) -> float | None:
    """The answer to the prompt's last question line if it is a single binary operation."""
    lines = [ln.strip() for ln in prompt.strip().splitlines() if ln.strip()]
    questions = [ln for ln in lines if ln.lower().startswith(("q:", "what is"))]
    if not questions:
        return None
    m = _QUESTION.search(questions[-1].removeprefix("Q:").removeprefix("q:").strip())
    if not m:
        return None
    value = _OPS[m.group(2).lower()](float(m.group(1)), float(m.group(3)))
    return None if math.isnan(value) else value


def format_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def _h(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()[:8], "big")


class ScriptedAdapter(ModelAdapter):
    kinds = frozenset(cls.kind for cls in BUILT_IN)  # the kinds it has rules for
    testing_only = True

    @dataclass(frozen=True)
    class Options:
        table: str | None = option(None, fingerprint=False, doc="JSON/YAML file (identified by its sha256): "
                                                                "{kind: {key: response}}; keys are the prompt "
                                             "(generate, token_lens), context + continuation (loglikelihood), "
                                             "question (answer_image_question) or image sha256")
        generate: Literal["calc", "echo"] = option("calc", doc="rule for generate requests not in the table")
        layers: int = option(4, doc="layers reported by token_lens")
        embed_dim: int = option(8, doc="size of embed_image vectors")
        delay: float = option(0.0, fingerprint=False, doc="seconds to sleep per request (simulates a slow model)")
        log: str | None = option(None, fingerprint=False, doc="append every served request (JSON lines) to this file")
        image_dir: str | None = option(None, fingerprint=False, doc="where sample_images writes .npy images")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        self._table: dict[str, dict[str, Any]] = {}
        if options.table:
            path = Path(options.table)
            if not path.is_file():
                raise ConfigError(f"scripted: table {options.table!r} does not exist.")
            data = yaml_files.load(path, "scripted: table") or {}
            unknown = set(data) - self.kinds if isinstance(data, dict) else set()
            if not isinstance(data, dict) or unknown:
                raise ConfigError(f"scripted: table {options.table!r} must map request kinds {sorted(self.kinds)} to lookups"
                                  + (f"; unknown kinds {sorted(unknown)}." if unknown else "."))
            bad = sorted(kind for kind, lookup in data.items() if not isinstance(lookup, dict))
            if bad:
                raise ConfigError(f"scripted: table {options.table!r}: under {bad[0]!r} give a mapping from request "
                                  f"to response, got {type(data[bad[0]]).__name__}.")
            self._table = data
        for name in ("layers", "embed_dim"):
            if getattr(options, name) < 1:
                raise ConfigError(f"scripted: {name} must be >= 1.")

    def identity(self) -> dict[str, Any]:
        return {"table_sha256": sha256_file(self.options.table)} if self.options.table else {}

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        if self.options.log:
            with open(self.options.log, "a", encoding="utf-8") as f:
                f.writelines(r.canonical_json() + "\n" for r in requests)
        if self.options.delay:
            time.sleep(self.options.delay * len(requests))
        table = self._table.get(kind, {})
        rule = getattr(self, f"_{kind}")
        missing = object()
        return [rule(r) if (hit := table.get(self._key(r), missing)) is missing else hit for r in requests]

    @staticmethod
    def _key(r: Request) -> str:
        for name in ("prompt", "question"):
            if hasattr(r, name):
                return getattr(r, name)
        if hasattr(r, "context"):
            return r.context + r.continuation  # type: ignore[attr-defined]
        if hasattr(r, "image"):
            return r.image.sha256  # type: ignore[attr-defined]
        return str(_h(r.canonical()))

    def _generate(self, r) -> str:
        if self.options.generate == "echo":
            lines = r.prompt.strip().splitlines()
            text = lines[-1] if lines else ""
        else:
            value = calc(r.prompt)
            text = "I don't know" if value is None else format_number(value)
        for s in r.stop:
            text = text.split(s)[0]
        return text

    def _loglikelihood(self, r) -> dict:
        value = calc(r.context)
        try:
            guess = float(r.continuation.strip())
        except ValueError:
            guess = None
        if value is not None and guess is not None:
            logprob = -abs(guess - value) / (1 + abs(value)) - 0.05
            return {"logprob": logprob, "is_greedy": guess == value}
        return {"logprob": -1 - (_h(r.context, r.continuation) % 1000) / 100, "is_greedy": False}

    def _token_lens(self, r) -> dict:
        n = self.options.layers
        start = 1 + _h(r.prompt, r.target) % 1000
        ranks = [max(1, round(start ** (1 - i / max(n - 1, 1)))) for i in range(n)]
        return {"ranks": ranks, "probs": [round(1 / (rank + 1), 6) for rank in ranks]}

    def _answer_image_question(self, r) -> str:
        return r.image.sha256[:8]

    def _embed_image(self, r) -> list[float]:
        seed = _h(r.image.sha256, "flip") if r.flip else _h(r.image.sha256)  # a mirror image is another input
        v = np.random.default_rng(seed).standard_normal(self.options.embed_dim)
        return [float(x) for x in v / np.linalg.norm(v)]

    def _classify_image(self, r) -> dict:
        logits = np.random.default_rng(_h(r.image.sha256)).standard_normal(1000)
        top = np.argsort(-logits, kind="stable")[: r.top_k]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        return {"labels": [int(i) for i in top], "probs": [float(probs[i]) for i in top]}

    def _sample_images(self, r) -> list[dict]:
        out_dir = Path(self.options.image_dir) if self.options.image_dir else cache_dir() / "scripted_images"
        out_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng([r.seed, r.steps or 0, _h(r.guidance, r.class_label)])
        refs = []
        for _ in range(r.n):
            buf = io.BytesIO()
            np.save(buf, rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8))
            digest = hashlib.sha256(buf.getvalue()).hexdigest()  # = sha256 of the file, as ImageRef.from_file
            path = out_dir / f"{digest}.npy"
            if not path.exists():
                path.write_bytes(buf.getvalue())
            refs.append(ImageRef(digest, str(path)).to_json())
        return refs
