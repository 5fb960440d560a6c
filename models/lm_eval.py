"""`lm-eval`: any model lm-evaluation-harness can construct, so existing lm-eval set-ups plug in unchanged.

`lm-eval:model=hf,args="pretrained=HuggingFaceTB/SmolLM2-135M,dtype=float32"` builds
`lm_eval.api.registry.get_model("hf").create_from_arg_string(args)` and sends our
requests as lm-eval Instances: Generate -> generate_until, LogLikelihood -> loglikelihood
(lm-eval's own semantics, which our hf and llamacpp adapters follow). Building the adapter
checks the model type; load() constructs the lm-eval model (which loads its weights).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import Generate, LogLikelihood, Request

from .lm.text import group_by, truncate_at_stop


class LMEvalAdapter(ModelAdapter):
    kinds = frozenset({"generate", "loglikelihood"})

    @dataclass(frozen=True)
    class Options:
        model: str = option(doc="lm-eval model type: hf, vllm, openai-completions, gguf, ...")
        args: str = option("", doc="lm-eval model_args string, e.g. pretrained=PATH,dtype=float32")
        batch_size: int = option(8, fingerprint=False, doc="lm-eval batch size")
        device: str = option("cpu")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        try:
            from lm_eval.api.instance import Instance
            from lm_eval.api.registry import get_model
        except ImportError:
            raise ConfigError("the lm-eval backend needs lm-evaluation-harness: pip install 'claimbench[lm]'.") from None
        self._instance = Instance
        try:
            self._lm_class = get_model(options.model)
        except ValueError as e:
            raise ConfigError(f"lm-eval: unknown model type {options.model!r}: {e}") from None
        self.lm = None  # the lm-eval model, built by load()

    def load(self) -> None:
        o = self.options
        self.lm = self._lm_class.create_from_arg_string(o.args, {"batch_size": o.batch_size, "device": o.device})

    def identity(self) -> dict[str, Any]:
        import lm_eval
        return {"lm_eval_model": self.options.model, "args": self.options.args,
                "lm_eval": getattr(lm_eval, "__version__", "unknown")}

    def serve(self, kind: str, requests: Sequence[Request]) -> list[Any]:
        if kind == "loglikelihood":
            return self._loglikelihood(requests)  # type: ignore[arg-type]
        return self._generate(requests)  # type: ignore[arg-type]

    def _loglikelihood(self, requests: Sequence[LogLikelihood]) -> list[dict]:
        insts = [self._instance("loglikelihood", {}, (r.context, r.continuation), i) for i, r in enumerate(requests)]
        return [{"logprob": float(lp), "is_greedy": bool(g)} for lp, g in self.lm.loglikelihood(insts)]

    def _generate(self, requests: Sequence[Generate]) -> list[str]:
        out: dict[int, str] = {}
        for (chat, temperature, seed), idx in group_by(requests, lambda r: (r.chat, r.temperature, r.seed)).items():
            if chat:
                raise ConfigError("lm-eval backend: chat prompts are applied by lm-eval's own apply_chat_template option; "
                                  "use a task method without chat here.")
            if temperature > 0:
                import torch
                torch.manual_seed(seed)
            insts = []
            for i in idx:
                r = requests[i]
                gen = {"until": list(r.stop), "max_gen_toks": r.max_tokens, "do_sample": temperature > 0}
                if temperature > 0:
                    gen["temperature"] = temperature
                insts.append(self._instance("generate_until", {}, (r.prompt, gen), i))
            for i, text in zip(idx, self.lm.generate_until(insts)):
                out[i] = truncate_at_stop(text, requests[i].stop)
        return [out[i] for i in range(len(requests))]
