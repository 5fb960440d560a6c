"""A run's generation controls, as lm-eval's --apply_chat_template, --system_instruction and
--fewshot_as_multiturn and --gen_kwargs: a task's `generation` section, applied to every text request its hooks ask.

They live in the task config (not beside it) because they change what the model is asked: a
chat run is a different protocol from a plain one, so it gets its own task label, results
folder, config hash and cache keys, and a report states them from the recorded config. The CLI
flags set the same options on every task (`bamboogle:generation.chat=true`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .errors import ConfigError
from .requests import Generate, Request

GEN_KWARGS = ("max_tokens", "temperature", "top_p", "stop", "seed")  # what --gen-kwargs may set


@dataclass(frozen=True)
class GenerationConfig:
    chat: bool = False                    # each prompt as a user turn of the model's chat template
    system: str = ""                      # a system turn before it (needs chat)
    # few-shot exemplars as earlier chat turns (needs chat; hooks with fewshot_turns); left out of
    # recorded configs while False, so chat runs recorded before it keep their config hashes
    multiturn: bool = field(default=False, metadata={"since": "0.6"})
    max_tokens: int | None = None         # None: what the task asks
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None   # replaces the task's stop sequences
    seed: int | None = None               # for sampled requests the task asks without one

    def __post_init__(self) -> None:
        if self.system and not self.chat:
            raise ConfigError("generation.system (--system-instruction) is a turn of the chat template: add "
                              "generation.chat=true (--apply-chat-template).")
        if self.multiturn and not self.chat:
            raise ConfigError("generation.multiturn (--fewshot-as-multiturn) sends exemplars as turns of the chat template: "
                              "add generation.chat=true (--apply-chat-template).")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ConfigError(f"generation.max_tokens must be a positive integer, got {self.max_tokens}.")
        if self.temperature is not None and self.temperature < 0:
            raise ConfigError(f"generation.temperature must be >= 0, got {self.temperature}.")
        if self.temperature and self.seed is None:
            raise ConfigError("generation.temperature > 0 samples: give generation.seed=N too (--gen-kwargs "
                              "temperature=0.7,seed=1), so the run is reproducible and cached per seed.")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"generation.top_p must be in (0, 1], got {self.top_p}.")

    def apply(self, request: Request) -> Request:
        """The request as this run sends it: a Generate with the controls set; any other kind as asked."""
        if not isinstance(request, Generate) or self == GenerationConfig():
            return request
        changes = {name: getattr(self, name) for name in ("max_tokens", "temperature", "top_p", "stop")
                   if getattr(self, name) is not None}
        if self.chat:
            changes.update(chat=True, system=self.system)
        if changes.get("temperature", request.temperature) > 0 and request.seed is None:
            changes["seed"] = self.seed
        return dataclasses.replace(request, **changes)


def task_options(*, chat: bool = False, system: str | None = None, multiturn: bool = False,
                 gen_kwargs: str | None = None) -> list[tuple[str, str]]:
    """The task options the CLI's --apply-chat-template, --system-instruction, --fewshot-as-multiturn
    and --gen-kwargs stand for."""
    out = [("generation.chat", "true")] if chat else []
    if multiturn:
        out.append(("generation.multiturn", "true"))
    if system:
        out.append(("generation.system", system))
    for item in filter(None, (gen_kwargs or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in GEN_KWARGS:
            raise ConfigError(f"--gen-kwargs: {item!r} is not KEY=VALUE with KEY one of {', '.join(GEN_KWARGS)} "
                              "(stop sequences are separated by ';').")
        out.append((f"generation.{key.strip()}", value))
    return out
