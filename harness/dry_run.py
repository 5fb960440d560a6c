"""`claimbench run --dry-run`: what a run would ask, and what it would cost, without asking anything.

Per task: the rows it would evaluate, the requests of the first round (later rounds, as in
self-ask, depend on the answers and cannot be known before them), how many of those are
repeats, how many the cache already answers, and what the rest would cost: prompt characters
(with tokens estimated at 4 characters each, since counting them exactly needs the model's
tokenizer) and the most tokens they may generate. `write_out` renders the first requests as the
model would receive them. The model is described, never loaded, and nothing is sent.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .model import load_model
from .requests import Generate
from .runner import DEFAULT_SEED, check_compatible, default_cache_path, load_tasks, selected_rows
from .task import Task

CHARS_PER_TOKEN = 4  # an estimate, said as one wherever it is shown


@dataclass
class Plan:
    task: str
    rows: int
    requests: int        # first round, before deduplication
    unique: int
    cached: int          # of the unique ones, already in the cache
    prompt_chars: int    # of the generation prompts among the unique requests not cached
    max_new_tokens: int  # their generation budget (max_tokens summed)
    shown: list[str] = field(default_factory=list)  # the first requests, rendered

    def lines(self) -> list[str]:
        new = self.unique - self.cached
        return [f"{self.task}: {self.rows} rows; first round {self.requests} requests, {self.requests - self.unique} "
                f"repeats, {self.cached} cached, {new} to send",
                f"  to send: {self.prompt_chars:,} characters of generation prompts (about {self.prompt_chars // CHARS_PER_TOKEN:,} "
                f"tokens at {CHARS_PER_TOKEN} characters a token), at most {self.max_new_tokens:,} generated tokens; "
                "later rounds (multi-step methods) depend on the answers and are not counted"]


def plan(model: str, tasks: Sequence[str | Task], *, limit: int | None = None, seed: int = DEFAULT_SEED,
         cache: str | Path | None = None, write_out: int = 0, apply_chat_template: bool = False,
         system_instruction: str | None = None, fewshot_as_multiturn: bool = False, gen_kwargs: str | None = None,
         num_fewshot: int | None = None) -> list[Plan]:
    """The plan of each task of a run with these arguments (those of `evaluate`)."""
    task_objs = load_tasks(tasks, apply_chat_template=apply_chat_template, system_instruction=system_instruction,
                           fewshot_as_multiturn=fewshot_as_multiturn, gen_kwargs=gen_kwargs, num_fewshot=num_fewshot)
    adapter = load_model(model)  # described: its weights load on first use, which never comes
    try:
        check_compatible(adapter, task_objs)
        fingerprint = adapter.fingerprint()
        with Cache(None if str(cache) == ":memory:" else (cache or default_cache_path())) as store:
            out = []
            for task in task_objs:
                rows = selected_rows(task, seed, limit).rows
                asked = [task.adjust(r) for row in rows for r in task.hooks.requests(row, [])]
                unique = {r.key(fingerprint): r for r in asked}
                found = store.get_many(unique)
                todo = [r for k, r in unique.items() if k not in found]
                gens = [r for r in todo if isinstance(r, Generate)]
                out.append(Plan(task.label, len(rows), len(asked), len(unique), len(found),
                                sum(len(r.prompt) for r in gens), sum(r.max_tokens for r in gens),
                                [adapter.render(r) for r in asked[:write_out]]))
            return out
    finally:
        adapter.close()
