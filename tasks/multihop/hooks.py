"""Hooks of the multi-hop QA tasks."""
from __future__ import annotations

from typing import Any

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import qa
from claimbench.harness.requests import Generate
from claimbench.harness.task import History, TaskHooks

from . import parse, prompts

MATCHERS = {"exact_match": qa.exact_match, "cover_em": qa.cover_match}


def field_path(row: dict, path: str) -> Any:
    """row['a']['b'] for path 'a.b'."""
    value: Any = row
    for part in path.split("."):
        value = value[part]
    return value


def answers(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


_INTERMEDIATE = "\nIntermediate answer:"


class MultiHopQA(TaskHooks):
    """One generation per question, prompted by the task's method, and the answer parsed from it.

    self_ask_search runs in rounds: generation stops when the model reaches
    "Intermediate answer:" after a follow-up; the follow-up goes to the search engine
    (params.search), its answer is written in, and generation goes on, until the final
    answer or params.max_rounds. When the engine has no answer the model writes its own.
    """

    kinds = frozenset({"generate"})
    # self_ask_search's engine; the first N exemplars only; the exemplars' seeded order (unset: the paper-style order)
    optional_params = frozenset({"search", "num_fewshot", "exemplar_seed"})
    fields = {
        "unparseable": ("unparseable", "The output holds no final answer in the method's format (e.g. no "
                        "\"So the final answer is:\" line), so it scores as wrong."),
        "copies_exemplar": ("copies an exemplar", "The answer is the answer of one of the few-shot examples shown "
                            "in the prompt: copied, not worked out."),
        "leak_free": ("leak-free", "No reference answer appears anywhere in the prompt, so the examples do not give it away."),
    }
    fewshot_turns = True  # generation.multiturn: the exemplars as chat turns (Generate.few_shot)
    param_types = {"question": str, "answer": str, "search": str, "max_rounds": int, "num_fewshot": int, "exemplar_seed": int,
                   "max_tokens": dict[str, int], "stop": dict[str, list[str]]}

    def __init__(self, config):
        super().__init__(config)
        n, seed = config.params.get("num_fewshot"), config.params.get("exemplar_seed")
        self.shown = prompts.exemplars(None if n is None else int(n), None if seed is None else int(seed))
        self.engine = None
        if config.method == "self_ask_search":
            from .search import load_search
            if not config.params.get("search"):
                raise ConfigError(f"task {config.task!r}: self_ask_search needs a search engine: add search=... to the task "
                                  "spec (bm25:corpus=FILE, http:url=URL, or oracle where the data has decompositions).")
            self.engine = load_search(config.params["search"])

    def _method(self) -> str:
        return "self_ask" if self.config.method == "self_ask_search" else self.config.method

    def _generate(self, shots: tuple[tuple[str, str], ...], prompt: str) -> Generate:
        p, method = self.config.params, self.config.method
        return Generate.few_shot(shots, prompt, as_turns=self.config.generation.multiturn,
                                 max_tokens=int(p["max_tokens"][method]), stop=tuple(p["stop"][method]))

    def requests(self, row: dict, history: History) -> list:
        if not history:
            shots, ask = prompts.turns(self._method(), field_path(row, self.config.params["question"]), self.shown)
            return [self._generate(tuple(shots), ask)]
        if self.engine is None or len(history) >= int(self.config.params.get("max_rounds", 6)):
            return []
        last, text = history[-1]
        asks = parse.follow_ups(text)
        if parse.final_answer(text, "self_ask") is not None or not asks or asks[-1]["intermediate_answer"] is not None:
            return []  # finished, or stopped for another reason (length, a new question)
        found = self.engine.answer(asks[-1]["follow_up"], row)
        inserted = f"{_INTERMEDIATE} {found}.\n" if found else _INTERMEDIATE
        return [self._generate(last.shots, last.prompt + text + inserted)]

    def process(self, row: dict, history: History) -> dict:
        first = history[0][0]
        base = first.prompt
        last, text = history[-1]
        generation = last.prompt[len(base):] + text  # what the model (and the search engine) wrote
        answer = parse.final_answer(generation, self._method())
        fields: dict[str, Any] = {"unparseable": float(answer is None), "generation": generation}
        if self._method() == "self_ask":
            fields["follow_ups"] = parse.follow_ups(generation)
        if self.engine is not None:
            fields["search_engine"] = self.engine.label
            fields["searches"] = self._searches(history)
        references = answers(field_path(row, self.config.params["answer"]))
        fields["copies_exemplar"] = float(qa.copies_shown_answer(answer or "", prompts.shown_answers(self.shown)))
        fields["leak_free"] = float(not qa.cover_match(first.plain_text(), references))
        return {"prediction": answer or "", "references": references, "fields": fields}

    @staticmethod
    def _searches(history: History) -> list[dict]:
        """Each follow-up sent to the engine and what came back (None: the model answered itself)."""
        out = []
        for (prev, text), (nxt, _) in zip(history, history[1:]):
            inserted = nxt.prompt[len(prev.prompt) + len(text):]
            answer = inserted[len(_INTERMEDIATE):].strip().removesuffix(".") or None
            out.append({"follow_up": parse.follow_ups(text)[-1]["follow_up"], "search_answer": answer})
        return out
