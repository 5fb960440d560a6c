"""Compositional Celebrities (Press et al. 2022): Q1, Q2 and the two-hop question, each asked
with a 2-shot direct prompt of the row's own category.

Exemplars. The source file is sorted by answer, so its first rows of a category share one
answer, and a prompt built from them shows the answer of many test questions. Instead each
category draws its own two exemplars with a fixed seed (`params.exemplar_seed`): its rows are
put in a seeded order (a hash of seed, category and person, so the order of two people does
not depend on who else is in the file) and the category takes the first two people whose
answers differ for Q1, for Q2 and for the two-hop question. Q1, Q2 and the two-hop question
are all asked with the row's own category's exemplars; identical prompts are still asked
once. Every row of an exemplar person is removed from the evaluated set.

Diagnostics in every sample: `{q1,q2,hop}_copies_exemplar` (the prediction equals an answer
its prompt showed) and `leak_free` (none of the row's gold answers appears in its prompts).

With an elicitive method (chain_of_thought, self_ask, self_ask_search) the two-hop question is
asked as in MultiHopQA (the project's exemplars, search rounds); Q1 and Q2 stay direct, so the
gap measures what the method adds to composing facts the model knows.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Literal

from claimbench.harness.errors import ConfigError
from claimbench.harness.metrics import qa
from claimbench.harness.requests import Generate
from claimbench.harness.task import History, TaskHooks

from . import parse, prompts
from .hooks import MATCHERS, MultiHopQA, answers

QUESTIONS = (("q1", "Q1", "A1"), ("q2", "Q2", "A2"), ("hop", "Question", "Answer"))


def _differ(a: dict, b: dict) -> bool:
    """Two rows may share a prompt only if none of their Q1, Q2 or two-hop answers agree."""
    return all(not qa.exact_match(x, answers(b[gold])) for _, _, gold in QUESTIONS for x in answers(a[gold]))


def _rank(seed: int, category: str, person: str) -> str:
    return hashlib.sha256(f"{seed}:{category}:{person}".encode()).hexdigest()


def draw_exemplars(rows: list[dict], seed: int, n: int = 2) -> dict[str, list[dict]]:
    """Each category's `n` exemplar rows (the paper's 2 by default): the first people, in the
    category's seeded order, whose answers differ from every one drawn before for every question."""
    by_cat: dict[str, list[dict]] = {}
    for r in rows:
        by_cat.setdefault(r["category"], []).append(r)
    shots = {}
    for cat, members in sorted(by_cat.items()):
        ranked = sorted(members, key=lambda r: _rank(seed, cat, r["person"]))  # stable: ties keep file order
        drawn: list[dict] = []
        for r in ranked:
            if len(drawn) == n:
                break
            if all(r["person"] != d["person"] and _differ(d, r) for d in drawn):
                drawn.append(r)
        if len(drawn) < n:
            raise ConfigError(f"compositional_celebrities: category {cat!r} has no {n} people whose answers all differ; "
                              f"the data file cannot give it a {n}-shot prompt (num_fewshot).")
        shots[cat] = drawn
    return shots


class CompositionalCelebrities(TaskHooks):
    kinds = frozenset({"generate"})
    fields = {
        **MultiHopQA.fields,
        "q1_correct": ("first sub-question right", "The answer to the first one-hop sub-question matches its gold answer."),
        "q2_correct": ("second sub-question right", "The answer to the second one-hop sub-question matches its gold answer."),
        "hop_correct": ("two-hop question right", "The answer to the two-hop question matches its gold answer."),
        "unparseable": ("unparseable", "No final answer could be read from the output for the two-hop question."),
        "leak_free": ("leak-free", "No gold answer of the three questions appears in the prompt that asked it."),
        **{f"{key}_copies_exemplar": (f"{what} copies an exemplar", f"The {what}'s answer is the answer of one of "
                                      "the few-shot examples shown with it: copied, not worked out.")
           for key, what in (("q1", "first sub-question"), ("q2", "second sub-question"), ("hop", "two-hop question"))},
        "category": ("category", "The question template (e.g. the capital of a celebrity's birthplace)."),
    }
    fewshot_turns = True
    optional_params = MultiHopQA.optional_params  # num_fewshot: exemplars per prompt (people per category; 2 by default)
    param_types = {**MultiHopQA.param_types, "exemplar_seed": int, "match": Literal["exact_match", "cover_em"]}

    def __init__(self, config):
        super().__init__(config)
        # the two-hop question's elicitive prompt keeps the family's exemplars in their own order:
        # exemplar_seed here draws each category's people for the direct questions
        own = {k: v for k, v in config.params.items() if k != "exemplar_seed"}
        self.hop = None if config.method == "direct" else MultiHopQA(dataclasses.replace(config, params=own))

    def prepare(self, rows: list[dict]) -> list[dict]:
        n = self.config.params.get("num_fewshot")
        self.shots = draw_exemplars(rows, int(self.config.params.get("exemplar_seed", 0)), 2 if n is None else int(n))
        exemplar_people = {r["person"] for pair in self.shots.values() for r in pair}
        return [{**r, "id": f"{r['category']}/{r['person_id']}"} for r in rows if r["person"] not in exemplar_people]

    def _shown(self, row: dict, question: str, gold: str) -> list[tuple[str, str]]:
        """The (question, answer) pairs shown before `question` in this row's prompt."""
        return [(x[question], answers(x[gold])[0]) for x in self.shots[row["category"]]]

    def _ask(self, shots: list, question: str) -> Generate:
        p = self.config.params
        ask = "Question: {}\nAnswer:"
        return Generate.few_shot([(ask.format(q), a) for q, a in shots], ask.format(question), as_turns=self.config.generation.multiturn,
                                 max_tokens=int(p["max_tokens"]["direct"]), stop=tuple(p["stop"]["direct"]))

    def requests(self, row: dict, history: History) -> list:
        if history:
            return [] if self.hop is None else self.hop.requests(row, history[2:])
        asked = [self._ask(self._shown(row, q, a), row[q]) for _, q, a in QUESTIONS]
        return asked if self.hop is None else [*asked[:2], self.hop.requests(row, [])[0]]

    def _hop_shown_answers(self, row: dict) -> list[str]:
        if self.hop is None:
            return [a for _, a in self._shown(row, "Question", "Answer")]
        return prompts.shown_answers(self.hop.shown)

    def process(self, row: dict, history: History) -> dict:
        match = MATCHERS[self.config.params.get("match", "exact_match")]
        a1, a2 = (parse.final_answer(resp, "direct") for _, resp in history[:2])
        fields: dict[str, Any] = {}
        if self.hop is None:
            hop = parse.final_answer(history[2][1], "direct")
        else:
            elicited = self.hop.process(row, history[2:])
            hop = elicited["prediction"] or None
            fields = {k: v for k, v in elicited["fields"].items() if k not in ("copies_exemplar", "leak_free")}
        predicted = {"q1": a1, "q2": a2, "hop": hop}
        shown = {"q1": [a for _, a in self._shown(row, "Q1", "A1")], "q2": [a for _, a in self._shown(row, "Q2", "A2")],
                 "hop": self._hop_shown_answers(row)}
        prompt_of = {key: history[i][0].plain_text() for i, key in enumerate(("q1", "q2", "hop"))}
        leak = any(qa.cover_match(prompt_of[key], answers(row[gold])) for key, _, gold in QUESTIONS)
        fields.update({f"{key}_copies_exemplar": float(qa.copies_shown_answer(predicted[key] or "", shown[key]))
                       for key in predicted})
        return {"prediction": hop or "", "references": answers(row["Answer"]),
                "fields": {**fields, "q1_prediction": a1, "q2_prediction": a2, "category": row["category"],
                           "q1_correct": float(match(a1 or "", row["A1"])), "q2_correct": float(match(a2 or "", row["A2"])),
                           "hop_correct": float(match(hop or "", row["Answer"])),
                           "leak_free": float(not leak), "unparseable": float(hop is None)}}
