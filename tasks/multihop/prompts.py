"""Few-shot prompts in the self-ask paper's formats, with exemplars written for this project from facts.

Each exemplar is a two-hop question with its decomposition; the same four facts serve
the direct, chain-of-thought and self-ask formats so that only the method differs.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from claimbench.harness.errors import ConfigError


@dataclass(frozen=True)
class Exemplar:
    question: str
    hops: tuple[tuple[str, str], ...]   # (follow-up question, intermediate answer)
    reasoning: str                      # one chain-of-thought sentence
    answer: str


EXEMPLARS = (
    Exemplar("Who was president of the United States when Albert Einstein was born?",
             (("When was Albert Einstein born?", "Albert Einstein was born on March 14, 1879."),
              ("Who was president of the United States in 1879?", "Rutherford B. Hayes was president in 1879.")),
             "Albert Einstein was born in 1879, and the president of the United States in 1879 was Rutherford B. Hayes.",
             "Rutherford B. Hayes"),
    Exemplar("What is the currency of the country where Pablo Neruda was born?",
             (("Where was Pablo Neruda born?", "Pablo Neruda was born in Parral, Chile."),
              ("What is the currency of Chile?", "The currency of Chile is the Chilean peso.")),
             "Pablo Neruda was born in Chile, and the currency of Chile is the Chilean peso.",
             "Chilean peso"),
    Exemplar("Who won the Masters golf tournament in the year Serena Williams was born?",
             (("When was Serena Williams born?", "Serena Williams was born in 1981."),
              ("Who won the Masters golf tournament in 1981?", "Tom Watson won the 1981 Masters.")),
             "Serena Williams was born in 1981, and the 1981 Masters was won by Tom Watson.",
             "Tom Watson"),
    Exemplar("What is the capital of the country where Frida Kahlo was born?",
             (("Where was Frida Kahlo born?", "Frida Kahlo was born in Coyoacán, Mexico."),
              ("What is the capital of Mexico?", "The capital of Mexico is Mexico City.")),
             "Frida Kahlo was born in Mexico, and the capital of Mexico is Mexico City.",
             "Mexico City"),
)

FINAL = "So the final answer is:"


def exemplars(n: int | None, seed: int | None = None) -> tuple[Exemplar, ...]:
    """The exemplars a prompt shows: the first `n` (all when None), in the paper-style order, or
    with `seed` in that seed's order (so `n` < 4 also picks which): `num_fewshot=N` and
    `exemplar_seed=S` (lm-eval's --num_fewshot and fewshot seed)."""
    if n is not None and not 0 <= n <= len(EXEMPLARS):
        raise ConfigError(f"num_fewshot={n}: this task's prompts hold {len(EXEMPLARS)} exemplars; give 0 to {len(EXEMPLARS)}.")
    pool = EXEMPLARS if seed is None else tuple(
        sorted(EXEMPLARS, key=lambda e: hashlib.sha256(f"{seed}:{e.question}".encode()).hexdigest()))
    return pool if n is None else pool[:n]


def direct(e: Exemplar) -> str:
    return e.answer


def chain_of_thought(e: Exemplar) -> str:
    return f"{e.reasoning} {FINAL} {e.answer}"


def self_ask(e: Exemplar) -> str:
    return "Yes.\n" + "".join(f"Follow up: {q}\nIntermediate answer: {a}\n" for q, a in e.hops) + f"{FINAL} {e.answer}"


# each method: (its question part, written for a question; its reply to an exemplar); the prompt is
# every exemplar's question part and reply, then the question part of the question asked
METHODS = {"direct": ("Question: {}\nAnswer:", direct), "chain_of_thought": ("Question: {}\nAnswer:", chain_of_thought),
           "self_ask": ("Question: {}\nAre follow up questions needed here:", self_ask)}


def turns(method: str, question: str, shown: Sequence[Exemplar] = EXEMPLARS) -> tuple[list[tuple[str, str]], str]:
    """The method's prompt for `question` as (exemplar (question part, reply) pairs, the question
    part): what Generate.few_shot writes as text, or sends as chat turns."""
    ask, reply = METHODS[method]
    return [(ask.format(e.question), reply(e)) for e in shown], ask.format(question)


def prompt(method: str, question: str, shown: Sequence[Exemplar] = EXEMPLARS) -> str:
    """The method's prompt for `question` as one text."""
    shots, final = turns(method, question, shown)
    return "".join(f"{user} {reply}\n\n" for user, reply in shots) + final


def shown_answers(shown: Sequence[Exemplar] = EXEMPLARS) -> list[str]:
    """The final answers a prompt shows (for the copy diagnostic)."""
    return [e.answer for e in shown]
