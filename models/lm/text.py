"""Helpers every text backend needs: grouping a batch by decoding parameters, stop strings, chat prompts."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from claimbench.harness.errors import ConfigError

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


# Named in the identities of the backends that follow them, so outputs made under an earlier
# convention (only spaces moved; chat text encoded with added special tokens) never share a cache key.
LOGLIKELIHOOD_SPLIT = "lm-eval: context.rstrip() joins the continuation"
CHAT_ENCODING = "template text, no added special tokens"


def move_trailing_whitespace(context: str, continuation: str) -> tuple[str, str]:
    """lm-eval's convention (`context.rstrip()`): the context's trailing whitespace, newlines and tabs
    included, belongs to the continuation's first token."""
    n = len(context) - len(context.rstrip())
    return (context[:-n], context[-n:] + continuation) if n else (context, continuation)


def loglikelihood_pair(encode: Callable[[str, bool], list[int]], bos_id: int, context: str,
                       continuation: str) -> tuple[list[int], list[int]]:
    """lm-eval's split into (context tokens, continuation tokens): the continuation's tokens are those
    of context + continuation after the context's; an empty context is scored after `bos_id`.
    `encode(text, add_special_tokens)` is the backend's tokenizer."""
    context, continuation = move_trailing_whitespace(context, continuation)
    if not context:
        return [bos_id], encode(continuation, False)
    whole, n = encode(context + continuation, True), len(encode(context, True))
    return whole[:n], whole[n:]


def bos_or_eos(tokenizer: Any) -> int:
    """The token an empty context is scored after: BOS, or EOS for tokenizers without one (an id of 0 is an id)."""
    return tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id


def apply_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """The chat turns (Generate.messages) in the model's chat template, ready for the assistant's reply.
    Encode the result without adding special tokens: the template writes BOS where the model
    wants one (vLLM's chat() does the same), so adding it again would double it."""
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError("the run asks for chat prompts but this model's tokenizer has no chat template; "
                          "use an instruction-tuned model, or run without --apply-chat-template.")
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
