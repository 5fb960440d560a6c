"""Non-text control tokens, forbidden at generation.

Some vocabularies hold tokens that are markup for another modality or for the training
format, never text: Gemma 3's `<start_of_image>`, `<end_of_image>`, `[multimodal]`,
`<unusedN>`; SmolLM2's `<repo_name>` or `<jupyter_code>`. Gemma's GGUF marks the image
tokens USER_DEFINED, so transformers builds its tokenizer without calling them special,
and greedy generation emits them glued to words ("leg<start_of_image>"). Gemma's reference
sampler forbids the image tokens; we forbid, for every model:
- each control token whose text is a tag (`<...>`), except the end-of-generation markers,
  which must stay free to end a generation;
- each user-defined token that names a marker: `[...]`, or a tag with an underscore in its
  name (`<start_of_image>`). User-defined HTML tags (`<table>`, `</h1>`) and whitespace
  runs are text that a model may write, and stay allowed.
The list is part of the adapter's fingerprint (count, sha256 of the ids, their names).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import gguf_metadata

_TAG = re.compile(r"^<[^<>\s]+>$")
_MARKER = re.compile(r"^(<[^<>\s]*_[^<>\s]*>|\[[A-Za-z_]+\])$")
_UNUSED = re.compile(r"^<unused\d+>$")
END_MARKERS = frozenset({"<|endoftext|>", "<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>", "<eos>", "</s>"})
_GGUF_CONTROL, _GGUF_USER_DEFINED = 3, 4  # llama.cpp's token types


def select(vocab: Iterable[tuple[int, str, str]], end_ids: Iterable[int]) -> dict[int, str]:
    """{id: text} of the tokens to forbid, from (id, text, "control" | "user_defined" | "normal")."""
    ends = set(end_ids)
    return {i: t for i, t, kind in vocab if t not in END_MARKERS and i not in ends
            and ((kind == "control" and _TAG.match(t)) or (kind == "user_defined" and _MARKER.match(t)))}


def from_gguf(path: str | Path) -> dict[int, str]:
    """The forbidden tokens of a GGUF file's vocabulary."""
    return from_gguf_fields(gguf_metadata.read(path))


def from_gguf_fields(fields: Mapping[str, Any]) -> dict[int, str]:
    """The forbidden tokens of GGUF metadata (gguf_metadata.read), by llama.cpp's token types."""
    texts = gguf_metadata.strings(fields, "tokenizer.ggml.tokens")
    kinds = gguf_metadata.integers(fields, "tokenizer.ggml.token_type")
    ends = [gguf_metadata.integers(fields, k)[0] for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id")
            if k in fields]
    names = {_GGUF_CONTROL: "control", _GGUF_USER_DEFINED: "user_defined"}
    return select(((i, t, names.get(k, "normal")) for i, (t, k) in enumerate(zip(texts, kinds))), ends)


def from_tokenizer(tokenizer: Any) -> dict[int, str]:
    """The forbidden tokens of a transformers tokenizer: its added tokens, special ones as control."""
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    ends = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    return select(((i, str(t), "control" if getattr(t, "special", False) else "user_defined") for i, t in added.items()), ends)


def describe(forbidden: dict[int, str]) -> dict[str, Any]:
    """For the fingerprint and results: how many, a hash of the ids, and the names (unusedN counted, not listed)."""
    ids = sorted(forbidden)
    names = [forbidden[i] for i in ids if not _UNUSED.match(forbidden[i])]
    return {"count": len(ids), "ids_sha256": hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest(),
            "names": names, "unused_slots": len(ids) - len(names)}
