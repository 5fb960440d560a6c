"""Answering requests from a finished run's samples log, so that work on recorded responses
(rescoring, a protocol sensitivity sweep) needs no model: the recorded answers are the model's.

A request the run never made goes to a fallback model when one is given (it loads only then),
and is refused otherwise, saying what to give.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import large_responses, records
from .errors import ConfigError
from .model import ModelAdapter
from .options import Spec, parse_spec
from .registry import request_kinds
from .requests import ImageRef, Request, canonical_json


def recorded_answers(folder: Path, logged: Sequence[dict]) -> dict[str, Any]:
    """{canonical request JSON: recorded response} of a run's samples log."""
    return {canonical_json(r["request"]): large_responses.restore(r["response"], folder)
            for s in logged for r in s.get("requests", [])}


def rehydrate(value: Any) -> Any:
    """A logged row as the task saw it: an image reference ({sha256, path}) back to an ImageRef."""
    if isinstance(value, dict):
        if set(value) == {"sha256", "path"} and isinstance(value["sha256"], str):
            return ImageRef(value["sha256"], value["path"])
        return {k: rehydrate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rehydrate(v) for v in value]
    return value


class Replay(ModelAdapter):
    """Answers each request from recorded responses. With `model` (a run's results `model` record)
    it stands for that model: its label, spec, identity and fingerprint, so results read as the
    model's and cache keys are the model's own. A request not recorded goes to `fallback` (which must
    be the same model), or without one is an error that says `missing`."""

    def __init__(self, recorded: dict[str, Any], where: Path, model: records.ModelInfo | None = None,
                 fallback: ModelAdapter | None = None, missing: str = "rerun the model instead"):
        self.kinds = frozenset(request_kinds.names())  # any kind a run recorded, plug-ins' included
        super().__init__(None, parse_spec(model["spec"]) if model else Spec("replay"), model["label"] if model else None)
        self.recorded, self.where, self.model, self.fallback, self.missing = recorded, where, model, fallback, missing
        if fallback is not None and model is not None and fallback.fingerprint() != model["fingerprint"]:
            raise ConfigError(f"{where}: the model given ({fallback.label}) is not the one the run used ({model['label']}, "
                              f"fingerprint {model['fingerprint'][:12]}); give the run's model, or none to use only its answers.")

    def fingerprint(self) -> str:
        return self.model["fingerprint"] if self.model else "replay"  # "replay" keys the in-memory cache of one rescore

    def identity(self) -> dict[str, Any]:
        return dict(self.model["identity"]) if self.model else {}

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        keys = [r.canonical_json() for r in requests]
        unknown = [i for i, k in enumerate(keys) if k not in self.recorded]
        if unknown and self.fallback is None:
            raise ConfigError(f"{self.where}: a request the run never made ({keys[unknown[0]][:160]}...); {self.missing}.")
        fresh = self.fallback.loaded().serve(kind, [requests[i] for i in unknown]) if unknown and self.fallback else []
        answers = dict(zip(unknown, fresh))
        return [answers[i] if i in answers else self.recorded[k] for i, k in enumerate(keys)]

    def close(self) -> None:
        if self.fallback is not None:
            self.fallback.close()
