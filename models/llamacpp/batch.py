"""Greedy generation of many prompts at once on one llama.cpp context (multi-sequence batches).

One request at a time, llama.cpp pays a whole decoding step (9 ms for SmolLM2-135M on 2 cores)
per generated token; sixteen sequences step together for 58 ms, 3.6 ms each. So the prompts of
a batch decode together, one llama_decode per step for all of them, each row leaving as soon as
it produces an end-of-generation token, meets a stop string or reaches max_tokens. Before that,
every distinct prefix of the batch's prompts is evaluated once: a trie over the prompts, each
node one batch entry carrying the sequence ids of all prompts through it (few-shot exemplars are
computed once for all). The prefix all of a batch's prompts share is evaluated first, into
sequence 0 at cells 0..n-1, and stays there for the next batch, which keeps it when its own
common prefix extends it (the cells hold what an empty cache would compute: tested bit for bit)
and otherwise starts from an empty cache; rows copy it (in a unified KV cache the copy shares
cells, it computes nothing). Keeping instead the previous batch's last prompt, as a first version
did, saved more tokens but made answers depend on what the context had served before, and two
Ray workers disagreed. A batch with more prompts than `rows` runs in waves.

Greedy means what llama-cpp-python's create_completion does at temperature 0: the prompt is
BOS + the text tokenized with special tokens parsed, the next token is the argmax of the logits
with the suppressed control tokens at -inf, and the text is the detokenized completion cut at the
first stop string. A row's logits equal those it would get alone up to floating-point rounding,
which depends on where its tokens sit in the shared KV cache (interleaved with other rows', or
copied from sequence 0), and llama.cpp's 8-bit activations amplify it, so a near-tie can flip
with the batch's composition (measurements in docs/models.md, "Prefix reuse"). The identity names
this decoder, so its outputs never share cache entries with the one-request-at-a-time path
(`parallel=1`), whose outputs do not depend on the batch.
"""
from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from claimbench.harness.usage import Usage

from ..lm.prefix_cache import common_prefix_length

DECODER = "multi-sequence greedy v2 (a batch's answers independent of earlier batches)"  # part of the adapter's identity


@dataclass
class _Row:
    seq: int                    # llama.cpp sequence id (0 holds the prefix all prompts share)
    prompt: list[int]
    max_tokens: int
    stop: list[bytes]
    reused: int = 0             # prompt tokens this row did not evaluate itself
    out: list[int] = field(default_factory=list)
    ended: bool = False         # by an end-of-generation token, which is not part of the text

    @property
    def position(self) -> int:
        return len(self.prompt) + len(self.out) - 1


@dataclass
class _Entry:
    """One token of a llama_decode batch: in `seqs` at `pos`; `readers` pick their next token from its logits."""
    seqs: list[int]
    pos: int
    token: int
    readers: list[_Row] = field(default_factory=list)


class BatchedGreedy:
    """A second context on the adapter's loaded model, with `rows + 1` sequences and room for
    `kv_tokens` cached tokens; `generate` splits its prompts into waves that fit."""

    def __init__(self, llm: Any, rows: int, kv_tokens: int, forbidden: Sequence[int]):
        import llama_cpp
        from llama_cpp import _internals

        self.cpp, self.llm, self.rows, self.kv_tokens = llama_cpp, llm, rows, kv_tokens
        params = llama_cpp.llama_context_default_params()
        for name, _ in params._fields_:
            setattr(params, name, getattr(llm.context_params, name))
        params.n_ctx, params.n_seq_max, params.kv_unified = kv_tokens, rows + 1, True
        self.ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self.n_batch = params.n_batch
        self.batch = _internals.LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=rows + 1, verbose=False)
        self.vocab = llm._model.vocab
        self.n_vocab = llm.n_vocab()
        self.forbidden = np.asarray(sorted(forbidden), dtype=np.int64)
        self.prefix: list[int] = []   # what sequence 0 holds
        # Freed by close(), or at interpreter exit while llama_cpp still exists (its __del__ would run too late).
        self._free = weakref.finalize(self, _free, self.batch, self.ctx)

    def tokenize(self, text: str) -> list[int]:
        bos = [self.llm.token_bos()] if self.llm._model.add_bos_token() else []
        return bos + self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def generate(self, prompts: list[list[int]], max_tokens: list[int], stops: list[Sequence[str]]) -> list[tuple[str, Usage]]:
        """Greedy continuations of tokenized prompts, each with its usage (seconds left to the caller).
        The prompts' common prefix is kept in sequence 0 exactly as an empty cache would hold it
        (`_keep_prefix`), so the answers depend on the prompts only, not on which batches the
        context served before (an executor's workers serve different ones)."""
        shared = min(common_prefix_length(prompts), min(len(p) for p in prompts) - 1)  # each keeps >= 1 token
        fresh = self._keep_prefix(prompts[0][:shared])
        order = sorted(range(len(prompts)), key=lambda i: prompts[i])  # neighbours share the most
        out: dict[int, tuple[str, Usage]] = {}
        while order:
            wave = self._wave(order, prompts, max_tokens)
            order = order[len(wave):]
            out.update(zip(wave, self._run([prompts[i] for i in wave], [max_tokens[i] for i in wave],
                                           [stops[i] for i in wave], fresh)))
            fresh = 0
        return [out[i] for i in range(len(prompts))]

    def _wave(self, order: list[int], prompts: list[list[int]], max_tokens: list[int]) -> list[int]:
        """The next rows that fit: at most `rows`, and their tokens within the KV room beside what
        sequence 0 keeps. Rows copy that prefix into cells they share, so each counts its own tokens
        after it, as if nothing else were shared: the room never runs out mid-batch. (Counting the
        prefix once per row, as a first version did, cut self-ask's 16 rows of 575 tokens into waves
        of 13 and 3, and the wave of 3 decoded its 160 steps nearly alone.)"""
        wave, need = [], len(self.prefix)
        for i in order:
            cost = len(prompts[i]) - len(self.prefix) + max_tokens[i]
            if wave and (len(wave) == self.rows or need + cost > self.kv_tokens):
                break
            wave.append(i)
            need += cost
        return wave

    def _run(self, prompts: list[list[int]], max_tokens: list[int], stops: list[Sequence[str]],
             fresh: int) -> list[tuple[str, Usage]]:
        """One wave; `fresh` prefix tokens were evaluated for it, counted as the first row's work."""
        rows = [_Row(k + 1, p, m, [s.encode("utf-8") for s in stop if s])
                for k, (p, m, stop) in enumerate(zip(prompts, max_tokens, stops))]
        mem = self.ctx.memory
        try:
            entries = self._prompt_entries(rows)
            rows[0].reused -= fresh
            self._decode(entries)
        finally:
            for row in rows:
                self.cpp.llama_memory_seq_rm(mem, row.seq, -1, -1)
        texts = [self.llm.detokenize(r.out[:-1] if r.ended else r.out, prev_tokens=r.prompt)
                 .decode("utf-8", errors="ignore") for r in rows]
        return [(t, Usage(len(r.prompt), r.reused, len(r.out))) for t, r in zip(texts, rows)]

    def _prompt_entries(self, rows: list[_Row]) -> list[_Entry]:
        """Every distinct prompt prefix once: a trie over the prompts, seeded with what sequence 0
        holds. A row's tokens that sequence 0 has are copied from it; a token several rows share
        is one batch entry carrying all their sequence ids; each row reads the logits of its last."""
        index: dict[tuple[int, int], int] = {}   # (parent node, token) -> node
        entries: list[_Entry | None] = []         # None: held by sequence 0
        parent = -1
        for tok in self.prefix:
            index[(parent, tok)] = parent = len(entries)
            entries.append(None)
        for row in rows:
            parent, copied, created = -1, 0, 0
            for pos, tok in enumerate(row.prompt):
                node = index.get((parent, tok))
                if node is None or (entries[node] is None and pos == len(row.prompt) - 1):
                    node = len(entries)  # new, or the last token, whose logits sequence 0 does not keep
                    index.setdefault((parent, tok), node)
                    entries.append(_Entry([row.seq], pos, tok))
                    created += 1
                elif entries[node] is None:
                    copied = pos + 1
                else:
                    entries[node].seqs.append(row.seq)
                parent = node
            entries[parent].readers.append(row)
            row.reused = len(row.prompt) - created
            if copied:
                self.cpp.llama_memory_seq_cp(self.ctx.memory, 0, row.seq, 0, copied)
        return [e for e in entries if e is not None]

    def _keep_prefix(self, prefix: list[int]) -> None:
        """Make sequence 0 hold `prefix` in cells 0..len-1, as a computation from an empty cache would:
        kept from the previous batch when it extends what is there (those cells hold the same values),
        else recomputed from an empty cache. Either way a batch's answers do not depend on history.
        The number of tokens evaluated."""
        mem = self.ctx.memory
        if self.prefix[:len(prefix)] == prefix:  # a shorter prefix: drop the tail
            self.cpp.llama_memory_seq_rm(mem, 0, len(prefix), -1)
            self.prefix = self.prefix[:len(prefix)]
        elif prefix[:len(self.prefix)] != self.prefix:  # another prefix: start over
            self.cpp.llama_memory_clear(mem, False)
            self.prefix = []
        kept = len(self.prefix)
        for start in range(kept, len(prefix), self.n_batch):
            self._submit([_Entry([0], pos, prefix[pos]) for pos in range(start, min(start + self.n_batch, len(prefix)))])
        self.prefix = list(prefix)
        return len(prefix) - kept

    def _decode(self, pending: list[_Entry]) -> None:
        """Evaluate `pending`, then step every unfinished row, all rows in one batch, until all are done."""
        while pending:
            chunk, pending = pending[:self.n_batch], pending[self.n_batch:]
            for entry, logits in zip([e for e in chunk if e.readers], self._submit(chunk)):
                for row in entry.readers:
                    token = self._pick(logits)
                    row.out.append(token)
                    if not self._finished(row, token):
                        pending.append(_Entry([row.seq], row.position, token, [row]))

    def _submit(self, entries: list[_Entry]) -> list[np.ndarray]:
        """One llama_decode of `entries`; the logits of those that have readers, in order."""
        b = self.batch.batch
        b.n_tokens = len(entries)
        for i, e in enumerate(entries):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = e.token, e.pos, len(e.seqs), bool(e.readers)
            for j, seq in enumerate(e.seqs):
                b.seq_id[i][j] = seq
        self.ctx.decode(self.batch)
        return [np.ctypeslib.as_array(self.cpp.llama_get_logits_ith(self.ctx.ctx, i), shape=(self.n_vocab,))
                for i, e in enumerate(entries) if e.readers]

    def _pick(self, logits: np.ndarray) -> int:
        if self.forbidden.size:
            logits = logits.copy()
            logits[self.forbidden] = -np.inf
        return int(np.argmax(logits))

    def _finished(self, row: _Row, token: int) -> bool:
        if self.cpp.llama_vocab_is_eog(self.vocab, token):
            row.ended = True
            return True
        if len(row.out) >= row.max_tokens:
            return True
        if row.stop:
            text = self.llm.detokenize(row.out, prev_tokens=row.prompt)
            return any(s in text for s in row.stop)
        return False

    def close(self) -> None:
        self._free()


def _free(*handles: Any) -> None:
    for h in handles:
        h.close()
