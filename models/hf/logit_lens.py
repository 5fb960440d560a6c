"""Logit lens for transformers causal LMs: the target token's rank and probability at every layer.

Each layer's hidden state at the last position goes through the model's own final
norm and unembedding (nostalgebraist's logit lens, as Haviv et al. 2022 use it). The
last layer's state is already normed by the model, so its distribution is read from
the model's logits directly. Models that soft-cap final logits (Gemma 2) are capped the
same way at every layer. Ranks are 1-based: rank 1 is the top prediction.
"""
from __future__ import annotations

from typing import Any

from claimbench.harness.errors import ConfigError

_NORM_PATHS = ("model.norm", "model.language_model.norm", "transformer.ln_f", "gpt_neox.final_layer_norm",
               "model.decoder.final_layer_norm")


def final_norm(model: Any) -> Any:
    for path in _NORM_PATHS:
        obj = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return obj
    raise ConfigError(f"logit lens: cannot find the final norm of {type(model).__name__} "
                      f"(looked for {', '.join(_NORM_PATHS)}); this architecture is not supported for token_lens.")


def lens_batch(model: Any, prompts: list[list[int]], targets: list[int], pad_id: int) -> list[dict]:
    """{'ranks': [...], 'probs': [...]}, one entry per transformer layer, for each prompt."""
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=model.device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding must not shift positions
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, output_hidden_states=True)
    norm, head = final_norm(model), model.get_output_embeddings()
    cap = getattr(model.config, "final_logit_softcapping", None) or getattr(
        getattr(model.config, "text_config", None), "final_logit_softcapping", None)
    states = out.hidden_states[1:]  # [0] is the embedding output
    per_layer = [head(norm(h[:, -1])) for h in states[:-1]] + [out.logits[:, -1]]
    target = torch.tensor(targets, device=model.device)[:, None]
    ranks, probs = [], []
    for logits in per_layer:
        logits = logits.float()
        if cap:
            logits = torch.tanh(logits / cap) * cap
        tl = logits.gather(1, target)
        ranks.append((logits > tl).sum(-1) + 1)
        probs.append(torch.softmax(logits, -1).gather(1, target)[:, 0])
    R, P = torch.stack(ranks, 1).tolist(), torch.stack(probs, 1).tolist()
    return [{"ranks": [int(x) for x in r], "probs": [min(max(float(x), 0.0), 1.0) for x in p]} for r, p in zip(R, P)]
