"""Hooks of the demo tasks: prompts, rounds, and what counts as the prediction."""
from __future__ import annotations

from claimbench.harness.requests import Generate, LogLikelihood
from claimbench.harness.task import History, TaskHooks


def _few_shot(config, question: str) -> str:
    shots = "".join(f"Q: {q}\nA: {a}\n\n" for q, a in config.params.get("shots", []))
    return f"{config.params.get('instruction', '')}\n\n{shots}Q: {question}\nA:".lstrip()


def _expr(x, op, y) -> str:
    return f"{x} {op} {y}"


class Arithmetic(TaskHooks):
    """direct: ask the whole question at once; decompose: ask the first step, then the second."""

    kinds = frozenset({"generate"})
    param_types = {"max_tokens": int, "instruction": str, "shots": list[list[str]]}

    def _ask(self, question: str) -> Generate:
        return Generate(_few_shot(self.config, question), max_tokens=int(self.config.params.get("max_tokens", 8)), stop=("\n",))

    def requests(self, row: dict, history: History) -> list:
        first = _expr(row["a"], row["op1"], row["b"])
        if self.config.method == "direct":
            if history:
                return []
            whole = first if row["op2"] is None else _expr(f"({first})", row["op2"], row["c"])
            return [self._ask(f"What is {whole}?")]
        if not history:
            return [self._ask(f"What is {first}?")]
        if len(history) == 1 and row["op2"] is not None:
            step = history[0][1].strip()
            if step.lstrip("-").replace(".", "", 1).isdigit():
                return [self._ask(f"What is {_expr(step, row['op2'], row['c'])}?")]
        return []

    def process(self, row: dict, history: History) -> dict:
        steps = [resp.strip() for _, resp in history]
        return {"prediction": steps[-1], "references": [row["answer"]], "fields": {"steps": len(steps)}}


class Choice(TaskHooks):
    """Multiple choice by log-likelihood: the choice with the highest log-probability is the answer."""

    kinds = frozenset({"loglikelihood"})
    param_types = {"instruction": str, "shots": list[list[str]]}

    def requests(self, row: dict, history: History) -> list:
        if history:
            return []
        context = _few_shot(self.config, row["question"])
        return [LogLikelihood(context, " " + c) for c in row["choices"]]

    def process(self, row: dict, history: History) -> dict:
        logprobs = [resp["logprob"] for _, resp in history]
        best = max(range(len(logprobs)), key=logprobs.__getitem__)
        return {"prediction": row["choices"][best], "references": [row["answer"]],
                "fields": {"greedy": float(history[best][1]["is_greedy"])}}
