"""Gradient estimators of Ren et al. (ICLR 2023) for a LocalMixer, one function per estimator.

Every estimator has the signature `(model, params, images, labels, seed) -> Estimate` and returns a
gradient (or an unbiased estimate of one) for every parameter in `params`:

| name    | loss it targets                                  | how the body's gradient is obtained              |
|---------|--------------------------------------------------|--------------------------------------------------|
| bp      | global: final head's cross entropy               | backprop (reverse-mode autograd)                 |
| fg-w    | global                                           | weight perturbation: (grad L . v) v, one v/batch |
| fg-a    | global                                           | activity perturbation per example, then a        |
|         |                                                  | one-layer local step to the weights              |
| lg-bp   | local: each block's own loss, blocks detached    | backprop inside each block                       |
| lg-fg-w | local, replicated per (patch, group)             | weight perturbation, one scalar per group        |
| lg-fg-a | local, replicated per (patch, group)             | activity perturbation, one scalar per            |
|         |                                                  | (example, patch, group)                          |

Readout heads (the final head and, for lg-*, each block's local head) are one linear layer on top of
features that need no backprop through the network, so every estimator gives them their exact
gradient, as the official code does. For lg-* the final head is a linear readout trained on detached
features. Local heads get zero gradient under the global estimators (they are not used).

Replicated local losses (paper eqs. 4-5): for block k, loss (n, p, g) has the numerical value of the
block's cross entropy for example n, but its gradient flows only into the features of patch p and
group g (all other patches/groups are stop-gradient copies). `replicated_local_losses` computes all
P*G of them at the cost of one (the paper's "fused" operator): the directional derivative of loss
(n, p, g) is <d feature(n, p, g), (1/P) W_g^T (softmax - onehot)(n)>.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call, jvp, vjp

from .localmixer import LocalMixer, layer_names, layer_norm, local_head

Params = dict[str, Tensor]


@dataclass
class Estimate:
    grads: Params
    loss: float  # the final head's cross entropy on this batch (what the test error is read from)
    local_loss: float | None = None  # mean of the local losses (lg-* only)


# ---------------------------------------------------------------- losses ----------------------------------------

def replicated_local_losses(model: LocalMixer, params: Params, k: int, block_out: Tensor, labels: Tensor) -> Tensor:
    """[N, P, G]: value = example n's cross entropy of block k's local head; derivative (forward or
    reverse) only through block_out[n, p, g]. Head parameters are treated as constants."""
    P = block_out.shape[1]
    w, b = params[f"b{k}_head_w"], params[f"b{k}_head_b"]
    hn = layer_norm(block_out)  # [N, P, G, c]
    logits = torch.einsum("ngc,gck->nk", hn.mean(1), w) + b
    ce = F.cross_entropy(logits, labels, reduction="none")
    delta = (torch.softmax(logits, -1) - F.one_hot(labels, logits.shape[-1]).to(logits.dtype)).detach()
    a = torch.einsum("nk,gck->ngc", delta, w.detach()) / P  # d ce / d hn[n, p, g], the same for every p
    s = torch.einsum("npgc,ngc->npg", hn, a)
    return ce.detach()[:, None, None] + s - s.detach()


def naive_replicated_local_losses(model: LocalMixer, params: Params, k: int, block_out: Tensor, labels: Tensor) -> Tensor:
    """The same losses written out literally (eqs. 4-5): P*G copies with stop-gradient masks. Slow; for tests."""
    n, P, G, _ = block_out.shape
    w, b = params[f"b{k}_head_w"], params[f"b{k}_head_b"]
    hn = layer_norm(block_out)
    rows = []
    for p in range(P):
        for g in range(G):
            mask = torch.zeros(1, P, G, 1, dtype=hn.dtype)
            mask[0, p, g] = 1
            x = mask * hn + (1 - mask) * hn.detach()
            logits = torch.einsum("ngc,gck->nk", x.mean(1), w.detach()) + b.detach()
            rows.append(F.cross_entropy(logits, labels, reduction="none"))
    return torch.stack(rows, 1).reshape(n, P, G)


def head_grads(model: LocalMixer, params: Params, trace: dict, labels: Tensor, local: bool) -> tuple[Params, list[float]]:
    """Exact gradients of the readout heads (features detached): the final head always; block k's
    local head only for local estimators (else zeros)."""
    feats = trace["final_features"].detach()
    grads: Params = {}
    fw, fb = params["final_w"], params["final_b"]
    gw, gb = torch.func.grad(lambda w, b: F.cross_entropy(feats @ w + b, labels), argnums=(0, 1))(fw, fb)
    grads["final_w"], grads["final_b"] = gw, gb
    local_losses = []
    for k, out in enumerate(trace["blocks"]):
        w, b = params[f"b{k}_head_w"], params[f"b{k}_head_b"]
        if local:
            def loss(w: Tensor, b: Tensor, out: Tensor) -> Tensor:
                return F.cross_entropy(local_head(out, w, b), labels)

            (gw, gb), value = torch.func.grad_and_value(loss, argnums=(0, 1))(w, b, out.detach())
            local_losses.append(float(value))
        else:
            gw, gb = torch.zeros_like(w), torch.zeros_like(b)
        grads[f"b{k}_head_w"], grads[f"b{k}_head_b"] = gw, gb
    return grads, local_losses


# ---------------------------------------------------------------- tangents --------------------------------------

def weight_tangent(model: LocalMixer, params: Params, gen: torch.Generator) -> Params:
    """iid N(0, 1) directions for every body parameter (heads get none)."""
    return {n: torch.randn(params[n].shape, generator=gen, dtype=params[n].dtype) for n in model.main_names()}


def activity_tangent(model: LocalMixer, batch: int, gen: torch.Generator) -> Params:
    """iid N(0, 1) directions for every layer's normalised pre-activation, independent per example."""
    cfg = model.cfg
    D, P, G = cfg.channels, cfg.tokens, cfg.groups
    shapes = {"tok": (batch, D, P), "fc1": (batch, P, G, D // G), "fc2": (batch, P, G, D // G)}
    return {name: torch.randn(shapes[name.split("_")[1]], generator=gen) for name in layer_names(cfg)}


# ---------------------------------------------------------------- from a given tangent ---------------------------
# (pure functions of their tangent, so tests can torch.func.vmap them over thousands of tangents)

def fg_w_from_tangent(model: LocalMixer, params: Params, images: Tensor, labels: Tensor, v: Params,
                      local: bool) -> tuple[Params, Tensor, dict]:
    """Weight perturbation. Global: g = (grad L . v) v with L the final loss. Local: each block's
    replicated losses are differentiated along v, summed over examples and patches per group g, and
    group g's parameters get (that scalar) x (their part of v); shared token-mixing weights get the
    sum over groups. Returns the body's estimates, the directional derivative(s) and the forward
    pass's (primal) trace."""
    main = {n: params[n] for n in v}
    rest = {n: t for n, t in params.items() if n not in v}

    def f(body: Params):
        p = {**rest, **body}
        tr = functional_call(model, p, (images,), {"stop_grad": local, "trace": True})
        if local:
            out = tuple(replicated_local_losses(model, p, k, o, labels) for k, o in enumerate(tr["blocks"]))
        else:
            out = F.cross_entropy(tr["logits"], labels)
        return out, _primal(tr)

    _, d, trace = jvp(f, (main,), (v,), has_aux=True)
    if not local:
        return {n: d * t for n, t in v.items()}, d, trace
    n_ex = images.shape[0]
    per_group = [dk.sum((0, 1)) / n_ex for dk in d]  # [G] per block: d/dv of sum_{n,p} loss(n,p,g) / N
    grads = {}
    for name, t in v.items():
        s = per_group[_block(name)]
        if "_tok_" in name:
            grads[name] = s.sum() * t
        else:  # group-major parameter: leading dim is the group
            grads[name] = s.reshape(-1, *([1] * (t.dim() - 1))) * t
    return grads, torch.stack([x.sum() for x in per_group]), trace


def _block(name: str) -> int:
    return int(name[1:name.index("_")])


def _primal(tr: dict) -> dict:
    return {"logits": tr["logits"].detach(), "final_features": tr["final_features"].detach(),
            "blocks": [b.detach() for b in tr["blocks"]],
            "layers": {n: (x.detach(), a.detach()) for n, (x, a) in tr["layers"].items()}}


def fg_a_from_tangent(model: LocalMixer, params: Params, images: Tensor, labels: Tensor, u: Params,
                      local: bool) -> tuple[Params, Tensor, dict]:
    """Activity perturbation. One forward pass in forward mode with tangent u on every layer's
    normalised pre-activation gives, per example (and per patch and group for local losses), the
    directional derivative d. The activity-gradient estimate d*u, zeroed where the ReLU is off
    (those units have zero gradient, paper sec. 3.6), is then taken one layer back, through that
    layer's norm and linear map only, to its weights: a local, per-layer rule, no backprop through
    the network."""
    zeros = {n: torch.zeros_like(t) for n, t in u.items()}
    n_ex = images.shape[0]

    def f(taps: Params):
        tr = functional_call(model, params, (images,), {"stop_grad": local, "taps": taps, "trace": True})
        if local:
            out = tuple(replicated_local_losses(model, params, k, o, labels) for k, o in enumerate(tr["blocks"]))
        else:
            out = F.cross_entropy(tr["logits"], labels, reduction="none")
        return out, _primal(tr)

    _, d, trace = jvp(f, (zeros,), (u,), has_aux=True)
    layers = trace["layers"]
    grads = {}
    for name, t in u.items():
        k = _block(name)
        kind = name.split("_")[1]
        x_in, a_out = layers[name]
        if not local:
            scale = d.reshape(-1, *([1] * (t.dim() - 1)))  # [N, 1, ...]
        elif kind == "tok":
            scale = d[k].sum(-1)[:, None, :]  # [N, 1, P]: a patch's token-mixing units feed all its groups
        else:
            scale = d[k][..., None]  # [N, P, G, 1]
        g_act = scale * t * (a_out > 0) / n_ex
        layer = getattr(LocalMixer, kind)
        w, b = params[name + "_w"], params[name + "_b"]
        _, pull = vjp(functools.partial(layer, x_in), w, b)
        grads[name + "_w"], grads[name + "_b"] = pull(g_act)
    return grads, (torch.stack([x.sum() for x in d]) if local else d.sum()) / n_ex, trace


# ---------------------------------------------------------------- the estimators --------------------------------

def _forward_gradient(from_tangent: Callable, tangent: Callable, local: bool) -> Callable:
    def estimate(model: LocalMixer, params: Params, images: Tensor, labels: Tensor, seed: int) -> Estimate:
        gen = torch.Generator().manual_seed(int(seed))
        t = tangent(model, params, images, gen)
        body, _, tr = from_tangent(model, params, images, labels, t, local)
        heads, local_losses = head_grads(model, params, tr, labels, local)
        loss = float(F.cross_entropy(tr["logits"], labels))
        return Estimate({**body, **heads}, loss, sum(local_losses) / len(local_losses) if local else None)
    return estimate


fg_w = _forward_gradient(fg_w_from_tangent, lambda m, p, x, g: weight_tangent(m, p, g), local=False)
fg_w.__doc__ = "FG-W: global loss, weight-perturbed forward gradient (Baydin et al. 2022)."
fg_a = _forward_gradient(fg_a_from_tangent, lambda m, p, x, g: activity_tangent(m, x.shape[0], g), local=False)
fg_a.__doc__ = "FG-A: global loss, activity-perturbed forward gradient (independent per example)."
lg_fg_w = _forward_gradient(fg_w_from_tangent, lambda m, p, x, g: weight_tangent(m, p, g), local=True)
lg_fg_w.__doc__ = "LG-FG-W: local greedy losses, weight perturbation (one scalar per block and group)."
lg_fg_a = _forward_gradient(fg_a_from_tangent, lambda m, p, x, g: activity_tangent(m, x.shape[0], g), local=True)
lg_fg_a.__doc__ = "LG-FG-A: local greedy losses, activity perturbation (one scalar per example, patch, group)."


def bp(model: LocalMixer, params: Params, images: Tensor, labels: Tensor, seed: int = 0) -> Estimate:
    """BP: exact gradient of the global loss by backprop (local heads unused: zero gradient)."""
    def loss(p: Params) -> Tensor:
        return F.cross_entropy(functional_call(model, p, (images,)), labels)

    grads, value = torch.func.grad_and_value(loss)(params)
    return Estimate(dict(grads), float(value))


def lg_bp(model: LocalMixer, params: Params, images: Tensor, labels: Tensor, seed: int = 0) -> Estimate:
    """LG-BP: exact gradients of the local greedy losses: each block learns from its own head with its
    input detached (backprop only inside the block); the final head reads detached features."""
    def loss(p: Params):
        tr = functional_call(model, p, (images,), {"stop_grad": True, "trace": True})
        final = F.cross_entropy(tr["logits"], labels)
        local = [F.cross_entropy(local_head(o, p[f"b{k}_head_w"], p[f"b{k}_head_b"]), labels)
                 for k, o in enumerate(tr["blocks"])]
        return final + sum(local), (final.detach(), torch.stack(local).detach())

    grads, (final, local) = torch.func.grad(loss, has_aux=True)(params)
    return Estimate(dict(grads), float(final), float(local.mean()))


ESTIMATORS: dict[str, Callable[..., Estimate]] = {
    "bp": bp, "fg-w": fg_w, "fg-a": fg_a, "lg-bp": lg_bp, "lg-fg-w": lg_fg_w, "lg-fg-a": lg_fg_a,
}
