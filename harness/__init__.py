"""ClaimBench's engine: registry, requests, runner, cache, results, metrics, stats, data, CLI.

The Python API is `evaluate(model=..., tasks=[...]) -> list[RunResult]`.
"""
from .errors import ClaimBenchError
from .results import RunResult
from .runner import evaluate

__all__ = ["ClaimBenchError", "RunResult", "evaluate"]
