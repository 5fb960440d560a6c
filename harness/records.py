"""The typed shape of what results.json and samples.jsonl hold, for the code that reads them.

TypedDicts, because the files are JSON and readers take them as parsed; each mirrors a part
of schemas/run_result.schema.json, and tests/test_results.py checks that the two agree key by
key (a field added to one and not the other fails it). Keys marked NotRequired are absent in
results written by earlier versions.
"""
from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class TaskInfo(TypedDict):
    name: str
    spec: str
    version: str
    config: dict[str, Any]
    config_hash: str


class DatasetInfo(TypedDict):
    name: str
    source: str
    fingerprint: str
    rows_total: int
    rows_excluded: NotRequired[int]
    rows_evaluated: int


class ModelInfo(TypedDict):
    spec: str
    label: str
    fingerprint: str
    adapter: str
    identity: NotRequired[dict[str, Any]]
    testing_only: bool


class MetricEntry(TypedDict):
    value: float | None
    stderr: float | None
    ci: list[float] | None
    n: int
    higher_is_better: bool
    unit: NotRequired[str]
    extra: NotRequired[dict[str, Any]]
    metadata: NotRequired[dict[str, Any]]   # harness.metrics.metadata.MetricMetadata.to_json()


class RequestCounts(TypedDict):
    total: int
    unique: int
    cached: int
    new: int


class TokenTotals(TypedDict):
    requests: int                # requests whose backend reported usage (harness/usage.py)
    requests_without_usage: int
    prompt_tokens: int
    reused_prompt_tokens: int
    new_prompt_tokens: int
    generated_tokens: int
    seconds: float


class Counts(TypedDict):
    rows: int
    scored: int
    unscored: int
    unscored_reasons: dict[str, int]
    requests: RequestCounts
    tokens: NotRequired[TokenTotals]   # absent when no request reported usage


class Timings(TypedDict):
    started: str
    finished: str
    plan_s: float
    model_s: float        # serving requests, weights loading excluded
    score_s: float
    total_s: float
    load_s: NotRequired[float]  # loading weights in this process (absent in runs made before it was recorded)


class ArraysInfo(TypedDict):
    file: str       # arrays.npz: the log's large arrays (harness/large_responses.py)
    sha256: str
    count: int


class SamplesInfo(TypedDict):
    file: str
    sha256: str
    rows: int
    arrays: NotRequired[ArraysInfo]


class RequestRecord(TypedDict):
    request: dict[str, Any]   # the request's canonical JSON (kind + fields)
    response: Any


class SampleRecord(TypedDict):
    """One line of samples.jsonl: a scored row has prediction, references, fields and scores;
    an unscored one has error instead."""
    id: str
    index: int
    row: dict[str, Any]
    requests: list[RequestRecord]
    prediction: NotRequired[Any]
    references: NotRequired[list[Any]]
    fields: NotRequired[dict[str, Any]]
    scores: NotRequired[dict[str, float | None]]
    error: NotRequired[str]
