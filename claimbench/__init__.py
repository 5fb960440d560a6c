"""ClaimBench: evaluate models on the claims of a set of papers, through one task registry,
one family of model adapters and one set of metrics.

`claimbench.evaluate(model=..., tasks=[...])` runs tasks and returns their `RunResult`s; the
engine, tasks, model adapters, reports and leaderboards live in the sub-packages
`claimbench.harness`, `claimbench.tasks`, `claimbench.models`, `claimbench.reports` and
`claimbench.leaderboards`.
"""
from claimbench.harness import ClaimBenchError, RunResult, evaluate

__all__ = ["ClaimBenchError", "RunResult", "__version__", "evaluate"]
__version__ = "0.1.0"
