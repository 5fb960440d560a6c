"""Few-shot prompts in the self-ask paper's formats, with exemplars written for this project from facts.

Each exemplar is a two-hop question with its decomposition; the same four facts serve
the direct, chain-of-thought and self-ask formats so that only the method differs.
"""
from __future__ import annotations

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


def exemplars(n: int | None) -> tuple[Exemplar, ...]:
    """The first `n` exemplars (all when None): what `num_fewshot=N` shows (lm-eval's --num_fewshot)."""
    if n is None:
        return EXEMPLARS
    if not 0 <= n <= len(EXEMPLARS):
        raise ConfigError(f"num_fewshot={n}: this task's prompts hold {len(EXEMPLARS)} exemplars; give 0 to {len(EXEMPLARS)}.")
    return EXEMPLARS[:n]


def direct(question: str, shown: Sequence[Exemplar] = EXEMPLARS) -> str:
    shots = "".join(f"Question: {e.question}\nAnswer: {e.answer}\n\n" for e in shown)
    return f"{shots}Question: {question}\nAnswer:"


def chain_of_thought(question: str, shown: Sequence[Exemplar] = EXEMPLARS) -> str:
    shots = "".join(f"Question: {e.question}\nAnswer: {e.reasoning} {FINAL} {e.answer}\n\n" for e in shown)
    return f"{shots}Question: {question}\nAnswer:"


def self_ask(question: str, shown: Sequence[Exemplar] = EXEMPLARS) -> str:
    shots = "".join(
        f"Question: {e.question}\nAre follow up questions needed here: Yes.\n"
        + "".join(f"Follow up: {q}\nIntermediate answer: {a}\n" for q, a in e.hops)
        + f"{FINAL} {e.answer}\n\n" for e in shown)
    return f"{shots}Question: {question}\nAre follow up questions needed here:"


def shown_answers(shown: Sequence[Exemplar] = EXEMPLARS) -> list[str]:
    """The final answers a prompt shows (for the copy diagnostic)."""
    return [e.answer for e in shown]


PROMPTS = {"direct": direct, "chain_of_thought": chain_of_thought, "self_ask": self_ask}
