"""Helpers every text backend needs: grouping a batch by decoding parameters, stop strings, chat prompts."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from harness.errors import ConfigError

T = TypeVar("T")


def group_by(items: Sequence[T], key: Callable[[T], Hashable]) -> dict[Any, list[int]]:
    """Indices of `items` grouped by `key`, groups and indices in first-seen order."""
    groups: dict[Any, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(key(item), []).append(i)
    return groups


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """Cut `text` at the earliest occurrence of any stop string (the stop string excluded)."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=len(text))
    return text[:cut]


def move_trailing_spaces(context: str, continuation: str) -> tuple[str, str]:
    """lm-eval's convention: trailing spaces of the context belong to the continuation's first token."""
    n = len(context) - len(context.rstrip(" "))
    return (context[:-n], context[-n:] + continuation) if n else (context, continuation)


def apply_chat(tokenizer: Any, prompt: str) -> str:
    """The prompt as one user turn in the model's chat template, ready for the assistant's reply."""
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError("the task asks for a chat prompt but this model's tokenizer has no chat template; "
                          "use an instruction-tuned model or a task method without chat.")
    return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
