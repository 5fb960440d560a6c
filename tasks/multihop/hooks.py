"""Hooks of the multi-hop QA tasks."""
from __future__ import annotations

from typing import Any

from harness import qa
from harness.errors import ConfigError
from harness.requests import Generate
from harness.task import History, TaskHooks

from . import parse, prompts

MATCHERS = {"exact_match": qa.exact_match, "cover_em": qa.cover_match}


def field_path(row: dict, path: str) -> Any:
    """row['a']['b'] for path 'a.b'."""
    value: Any = row
    for part in path.split("."):
        value = value[part]
    return value


def _answers(value: Any) -> list:
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

    def __init__(self, config):
        super().__init__(config)
        self.engine = None
        if config.method == "self_ask_search":
            from harness.search import load_search
            if not config.params.get("search"):
                raise ConfigError(f"task {config.task!r}: self_ask_search needs a search engine: add search=... to the task "
                                  "spec (bm25:corpus=FILE, http:url=URL, or oracle where the data has decompositions).")
            self.engine = load_search(config.params["search"])

    def _method(self) -> str:
        return "self_ask" if self.config.method == "self_ask_search" else self.config.method

    def _generate(self, prompt: str) -> Generate:
        p, method = self.config.params, self.config.method
        stop = tuple(p["stop"][method])
        return Generate(prompt, max_tokens=int(p["max_tokens"][method]), stop=stop)

    def requests(self, row: dict, history: History) -> list:
        if not history:
            return [self._generate(prompts.PROMPTS[self._method()](field_path(row, self.config.params["question"])))]
        if self.engine is None or len(history) >= int(self.config.params.get("max_rounds", 6)):
            return []
        last, text = history[-1]
        asks = parse.follow_ups(text)
        if parse.final_answer(text, "self_ask") is not None or not asks or asks[-1]["intermediate_answer"] is not None:
            return []  # finished, or stopped for another reason (length, a new question)
        found = self.engine.answer(asks[-1]["follow_up"], row)
        inserted = f"{_INTERMEDIATE} {found}.\n" if found else _INTERMEDIATE
        return [self._generate(last.prompt + text + inserted)]

    def process(self, row: dict, history: History) -> dict:
        base = history[0][0].prompt
        last, text = history[-1]
        generation = last.prompt[len(base):] + text  # what the model (and the search engine) wrote
        answer = parse.final_answer(generation, self._method())
        fields: dict[str, Any] = {"unparseable": float(answer is None), "generation": generation}
        if self._method() == "self_ask":
            fields["follow_ups"] = parse.follow_ups(generation)
        if self.engine is not None:
            fields["search_engine"] = self.engine.label
            fields["searches"] = self._searches(history)
        return {"prediction": answer or "", "references": _answers(field_path(row, self.config.params["answer"])),
                "fields": fields}

    @staticmethod
    def _searches(history: History) -> list[dict]:
        """Each follow-up sent to the engine and what came back (None: the model answered itself)."""
        out = []
        for (prev, text), (nxt, _) in zip(history, history[1:]):
            inserted = nxt.prompt[len(prev.prompt) + len(text):]
            answer = inserted[len(_INTERMEDIATE):].strip().removesuffix(".") or None
            out.append({"follow_up": parse.follow_ups(text)[-1]["follow_up"], "search_answer": answer})
        return out


def _q1_kind(row: dict) -> str:
    return row["category"].split("_")[0]  # birthplace / birthyear / birthdate: one wording of Q1 each


class CompositionalCelebrities(TaskHooks):
    """Q1, Q2 and the two-hop question, each with a 2-shot direct prompt (Press et al.'s protocol).

    Exemplars: the first two rows of each category (dataset order). The two-hop and Q2
    prompts use the row's own category's exemplars; Q1's wording depends only on its kind
    (birthplace, birth year, birthdate), so Q1 prompts use the exemplars of the kind's
    first category, and one Q1 is asked once however many categories share it. Every row
    of an exemplar person is removed from the evaluated set.

    With an elicitive method (chain_of_thought, self_ask, self_ask_search) the two-hop
    question is asked as in MultiHopQA (the project's exemplars, search rounds); Q1 and
    Q2 stay direct, so the gap measures what the method adds to composing known facts.
    """

    kinds = frozenset({"generate"})

    def __init__(self, config):
        super().__init__(config)
        self.hop = None if config.method == "direct" else MultiHopQA(config)

    def prepare(self, rows: list[dict]) -> list[dict]:
        by_cat: dict[str, list[dict]] = {}
        for r in rows:
            by_cat.setdefault(r["category"], [])
            if len(by_cat[r["category"]]) < 2:
                by_cat[r["category"]].append(r)
        self.hop_shots = {c: [(r["Question"], r["Answer"][0]) for r in rs] for c, rs in by_cat.items()}
        self.q2_shots = {c: [(r["Q2"], r["A2"][0]) for r in rs] for c, rs in by_cat.items()}
        self.q1_shots: dict[str, list] = {}
        for c in sorted(by_cat):
            self.q1_shots.setdefault(c.split("_")[0], [(r["Q1"], r["A1"][0]) for r in by_cat[c]])
        exemplar_people = {r["person"] for rs in by_cat.values() for r in rs}
        return [{**r, "id": f"{r['category']}/{r['person_id']}"} for r in rows if r["person"] not in exemplar_people]

    def _ask(self, shots: list, question: str) -> Generate:
        p = self.config.params
        text = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in shots) + f"Question: {question}\nAnswer:"
        return Generate(text, max_tokens=int(p["max_tokens"]["direct"]), stop=tuple(p["stop"]["direct"]))

    def requests(self, row: dict, history: History) -> list:
        if history:
            return [] if self.hop is None else self.hop.requests(row, history[2:])
        cat = row["category"]
        hop = self._ask(self.hop_shots[cat], row["Question"]) if self.hop is None else self.hop.requests(row, [])[0]
        return [self._ask(self.q1_shots[_q1_kind(row)], row["Q1"]), self._ask(self.q2_shots[cat], row["Q2"]), hop]

    def process(self, row: dict, history: History) -> dict:
        match = MATCHERS[self.config.params.get("match", "exact_match")]
        a1, a2 = (parse.final_answer(resp, "direct") for _, resp in history[:2])
        fields: dict[str, Any] = {}
        if self.hop is None:
            hop = parse.final_answer(history[2][1], "direct")
        else:
            elicited = self.hop.process(row, history[2:])
            hop, fields = elicited["prediction"] or None, elicited["fields"]
        return {"prediction": hop or "", "references": _answers(row["Answer"]),
                "fields": {**fields, "q1_prediction": a1, "q2_prediction": a2, "category": row["category"],
                           "q1_correct": float(match(a1 or "", row["A1"])), "q2_correct": float(match(a2 or "", row["A2"])),
                           "hop_correct": float(match(hop or "", row["Answer"])),
                           "unparseable": float(hop is None)}}
