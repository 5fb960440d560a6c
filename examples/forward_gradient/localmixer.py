"""LocalMixer (Ren, Kornblith, Liao, Hinton, ICLR 2023, "Scaling Forward Gradient With Local Losses").

A size name `S/1/1` reads size / patches per side / channel groups (Table 2 of the paper):

| name   | blocks | patches | channels | groups | params (paper) | dataset |
|--------|--------|---------|----------|--------|----------------|---------|
| S/1/1  | 1      | 1x1     | 256      | 1      | 272K           | MNIST   |
| M/1/16 | 1      | 1x1     | 512      | 16     | 429K           | MNIST   |
| M/8/16 | 4      | 8x8     | 512      | 16     | 919K           | CIFAR-10|

The parameter counts of this implementation match the paper's (271,892 and 429,076 for 28x28x1
inputs), so the MNIST models are exactly the paper's sizes: with one patch the "image" is a single
784-dim token and a block is the channel-mixing MLP alone.

Structure (per block, Figure 2 of the paper; LN = layer norm without learned scale/bias):
  block 0:   LN -> FC1 (all input channels -> hidden units, split into G groups) -> LN per group -> ReLU
             -> LN per group -> FC2 (grouped: each group's hidden units -> that group's channels)
             -> LN per group -> ReLU
  block k>0: LN -> token mixing (one linear layer across the P patches, shared by all channels)
             -> LN over channels per patch -> ReLU -> LN -> FC1 -> ... -> FC2 -> LN per group
             -> + block input (residual) -> ReLU
  local head of block k: LN per (patch, group) -> mean over patches -> linear over all groups -> logits
  final head: last block's output -> mean over patches -> LN -> linear (zero-initialised) -> logits

Deviation from the official code, on purpose: FC1's output is normalised per group (the official
code normalises it across all hidden units). Per-group normalisation keeps every channel group an
independent sub-network of the block (the only shared layer is token mixing), so a group's
perturbations reach only that group's local losses and the local forward-gradient estimators are
exactly unbiased for their local losses (the paper: "for grouped linear layers, each group is
normalized separately" and it finds ignoring normalisation gradients harmless).

Input contract: float tensors (N, 1, 28, 28), pixels scaled to [0, 1] and then normalised with
mean 0.1307 and std 0.3081 (MNIST's statistics; used for Fashion-MNIST too). ClaimBench's
`torch-module` adapter feeds exactly that with
`size=28,channels=gray,mean=33.3285,std=78.5655` (the same numbers in 0-255 units).
(The first layer norm makes the model invariant to this affine normalisation anyway.)
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
EPS = 1e-5


@dataclass(frozen=True)
class MixerConfig:
    blocks: int
    patches: int  # patches per side: the image is cut into patches x patches tokens
    channels: int
    groups: int
    image_size: int = 28
    in_channels: int = 1
    num_classes: int = 10

    def __post_init__(self) -> None:
        if min(self.blocks, self.patches, self.channels, self.groups, self.image_size, self.in_channels) < 1:
            raise ValueError(f"every LocalMixer size must be positive, got {self}")
        if self.image_size % self.patches:
            raise ValueError(f"{self.patches} patches per side do not tile a {self.image_size}-pixel image")
        if self.channels % self.groups:
            raise ValueError(f"{self.channels} channels do not split into {self.groups} groups")

    @property
    def tokens(self) -> int:
        return self.patches ** 2

    @property
    def patch_dim(self) -> int:
        return (self.image_size // self.patches) ** 2 * self.in_channels


SIZES = {
    "S/1/1": MixerConfig(blocks=1, patches=1, channels=256, groups=1),
    "M/1/16": MixerConfig(blocks=1, patches=1, channels=512, groups=16),
}


def config_for(size: str) -> MixerConfig:
    if size not in SIZES:
        raise ValueError(f"unknown LocalMixer size {size!r}; known: {', '.join(SIZES)}")
    return SIZES[size]


def layer_norm(x: Tensor, dim: int = -1) -> Tensor:
    """Layer norm with no learned parameters over one dimension (the paper's local normalisation)."""
    mean = x.mean(dim, keepdim=True)
    var = (x - mean).square().mean(dim, keepdim=True)
    return (x - mean) * torch.rsqrt(var + EPS)


def local_head(block_out: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """A block's local classifier: normalise each (patch, group), average over patches, one linear
    layer over all groups' channels (w is [G, D/G, K]). block_out [N, P, G, D/G] -> logits [N, K]."""
    return torch.einsum("ngc,gck->nk", layer_norm(block_out).mean(1), w) + b


def layer_names(cfg: MixerConfig) -> list[str]:
    """The perturbable linear layers in forward order: `b{k}_tok` (k > 0), `b{k}_fc1`, `b{k}_fc2`."""
    names = []
    for k in range(cfg.blocks):
        if k > 0:
            names.append(f"b{k}_tok")
        names += [f"b{k}_fc1", f"b{k}_fc2"]
    return names


class LocalMixer(nn.Module):
    """Parameters are stored group-major (`fc1_w`: [G, in, hidden/G]) so that a channel group is a
    leading index, which is what the group-wise forward-gradient estimators multiply by."""

    def __init__(self, cfg: MixerConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        gen = torch.Generator().manual_seed(seed)
        G, D, P, K = cfg.groups, cfg.channels, cfg.tokens, cfg.num_classes

        def normal(*shape: int, fan_in: int) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=gen) / math.sqrt(fan_in))

        def zeros(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.zeros(*shape))

        for k in range(cfg.blocks):
            d_in = cfg.patch_dim if k == 0 else D
            if k > 0:
                self.register_parameter(f"b{k}_tok_w", normal(P, P, fan_in=P))
                self.register_parameter(f"b{k}_tok_b", zeros(P))
            self.register_parameter(f"b{k}_fc1_w", normal(G, d_in, D // G, fan_in=d_in))
            self.register_parameter(f"b{k}_fc1_b", zeros(G, D // G))
            self.register_parameter(f"b{k}_fc2_w", normal(G, D // G, D // G, fan_in=D // G))
            self.register_parameter(f"b{k}_fc2_b", zeros(G, D // G))
            self.register_parameter(f"b{k}_head_w", normal(G, D // G, K, fan_in=D))
            self.register_parameter(f"b{k}_head_b", zeros(K))
        self.final_w = zeros(D, K)
        self.final_b = zeros(K)

    # -- the three kinds of linear layer, each followed by its layer norm (the perturbation point) --
    @staticmethod
    def tok(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """Token mixing: x [N, D, P] -> [N, D, P], normalised over channels within each patch."""
        return layer_norm(x @ w + b, dim=1)

    @staticmethod
    def fc1(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """x [N, P, Din] -> [N, P, G, H/G], normalised per group."""
        return layer_norm(torch.einsum("npi,gih->npgh", x, w) + b)

    @staticmethod
    def fc2(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """Grouped: x [N, P, G, H/G] -> [N, P, G, D/G], normalised per group."""
        return layer_norm(torch.einsum("npgh,ghc->npgc", x, w) + b)

    def param(self, name: str) -> tuple[Tensor, Tensor]:
        return getattr(self, name + "_w"), getattr(self, name + "_b")

    def patchify(self, images: Tensor) -> Tensor:
        """(N, C, H, W) -> (N, P, patch_dim), patches in row-major order."""
        cfg = self.cfg
        n, s = images.shape[0], cfg.image_size // cfg.patches
        x = images.reshape(n, cfg.in_channels, cfg.patches, s, cfg.patches, s)
        return x.permute(0, 2, 4, 3, 5, 1).reshape(n, cfg.tokens, cfg.patch_dim)

    def forward(self, images: Tensor, stop_grad: bool = False, taps: dict[str, Tensor] | None = None,
                trace: bool = False):
        """Final logits (N, K); with `trace=True` a dict with the logits, every block's output and,
        per linear layer, its input and output activity (what the local weight updates use).

        `stop_grad` detaches each block's input and the final head's input (greedy local learning).
        `taps[name]` is added to layer `name`'s normalised pre-activation: forward-mode AD with zero
        taps and random tangents gives the activity-perturbed directional derivatives."""
        cfg = self.cfg
        n, P, G = images.shape[0], cfg.tokens, cfg.groups
        taps = taps or {}
        layers: dict[str, tuple[Tensor, Tensor]] = {}
        blocks: list[Tensor] = []

        def act(name: str, z: Tensor, residual: Tensor | None = None) -> Tensor:
            if name in taps:
                z = z + taps[name]
            return F.relu(z if residual is None else z + residual)

        h = self.patchify(images)  # [N, P, Din]
        for k in range(cfg.blocks):
            if k > 0 and stop_grad:
                h = h.detach()
            x = layer_norm(h.reshape(n, P, -1))
            if k > 0:
                name = f"b{k}_tok"
                t_in = x.transpose(1, 2)
                a = act(name, self.tok(t_in, *self.param(name)))
                layers[name] = (t_in, a)
                x = layer_norm(a.transpose(1, 2))
            name = f"b{k}_fc1"
            a1 = act(name, self.fc1(x, *self.param(name)))
            layers[name] = (x, a1)
            x2 = layer_norm(a1)
            name = f"b{k}_fc2"
            out = act(name, self.fc2(x2, *self.param(name)), residual=h.reshape(n, P, G, -1) if k > 0 else None)
            layers[name] = (x2, out)
            blocks.append(out)
            h = out
        feats = h.detach() if stop_grad else h
        pooled = layer_norm(feats.reshape(n, P, -1).mean(1))
        logits = pooled @ self.final_w + self.final_b
        if not trace:
            return logits
        return {"logits": logits, "blocks": blocks, "layers": layers, "final_features": pooled}

    def local_logits(self, k: int, block_out: Tensor) -> Tensor:
        return local_head(block_out, getattr(self, f"b{k}_head_w"), getattr(self, f"b{k}_head_b"))

    def main_names(self) -> list[str]:
        """Parameters of the network body (what forward gradients estimate), not the readout heads."""
        return [n for n, _ in self.named_parameters() if "_head_" not in n and not n.startswith("final_")]

    def describe(self) -> dict:
        return {**asdict(self.cfg), "parameters": sum(p.numel() for p in self.parameters())}


class LogitsOnly(nn.Module):
    """What is exported: (N, 1, 28, 28) normalised images -> (N, 10) final logits."""

    def __init__(self, model: LocalMixer):
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> Tensor:
        return self.model(images)
