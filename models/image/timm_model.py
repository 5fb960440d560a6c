"""`timm`: any timm image model, with the preprocessing its pretrained config carries.

`timm:model=NAME[,checkpoint=FILE.pth|.safetensors][,num_classes=N][,pretrained=true]` builds
`timm.create_model(NAME, ...)`: from a local checkpoint (identified by its sha256), or with
`pretrained=true` from the hub (network needed; identified by the pretrained tag). Images go
through timm's own eval transform (`resolve_data_config` + `create_transform`: resize,
centre crop by crop_pct, interpolation, mean/std of the model's pretrained config), the
reference preprocessing, which is recorded in the fingerprint. `classify_image` softmaxes the
logits; `embed_image` returns the pooled pre-logits features (`forward_head(..., pre_logits=True)`).
On `runtime=torch` (the default, timm's own inference) images run one by one unless `batch=true`
(a batch rounds differently in torch's CPU kernels, ~1e-7, and by default a response must not
depend on its batch), fp32, eval mode. `runtime=onnxruntime` exports the model once to ONNX
(harness/onnx_export.py) and runs each batch in one call: 4.9x torch's per-batch speed on
EfficientNet-Lite0, logits within 1.5e-5 of torch's, the same for any batch size.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimbench.harness.errors import ConfigError, did_you_mean
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.onnx_export import onnx_session
from claimbench.harness.requests import ClassifyImage, EmbedImage

from . import outputs as image_outputs
from .preprocessing import open_rgb

INSTALL = "pip install 'claimbench[image]'"
RUNTIMES = ("torch", "onnxruntime")


class TimmModel(ModelAdapter):
    kinds = image_outputs.KINDS

    @dataclass(frozen=True)
    class Options:
        model: str = option(doc="timm model name, e.g. resnet18 or efficientnet_lite0 (timm.list_models())")
        checkpoint: str | None = option(None, fingerprint=False, doc="local weights (.pth/.safetensors state dict), "
                                                                     "identified by its sha256")
        pretrained: bool = option(False, doc="download timm's pretrained weights from the hub (needs network)")
        num_classes: int | None = option(None, doc="classes of the checkpoint's head (default: the model's)")
        threads: int | None = option(None, fingerprint=False, doc="torch CPU threads")
        runtime: str = option("torch", doc="torch (timm's own inference) or onnxruntime (exported once, "
                                            "faster on CPU, within float tolerance)")
        batch: bool = option(False, fingerprint=False, doc="one forward call per batch instead of per image: faster, "
                                                           "but torch's CPU kernels may round differently (~1e-7)")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        timm = _timm()
        o = options
        if o.model not in timm.list_models():
            raise ConfigError(f"timm: model={o.model!r} is not a timm model.{did_you_mean(o.model, timm.list_models())}")
        if o.pretrained == (o.checkpoint is not None):
            raise ConfigError("timm: give checkpoint=FILE (local weights) or pretrained=true (timm's hub weights), one of the two.")
        self.file = None
        if o.checkpoint is not None:
            self.file = Path(o.checkpoint).expanduser()
            if not self.file.is_file():
                raise ConfigError(f"timm: checkpoint={o.checkpoint!r} is not a file.")
        if o.runtime not in RUNTIMES:
            raise ConfigError(f"timm: runtime={o.runtime!r} is not one of {', '.join(RUNTIMES)}.")
        if o.runtime == "onnxruntime" and importlib.util.find_spec("onnxruntime") is None:
            raise ConfigError(f"timm: runtime=onnxruntime needs PyPI onnxruntime: {INSTALL}, or choose runtime=torch.")
        if o.num_classes is not None and o.num_classes < 1:
            raise ConfigError(f"timm: num_classes must be >= 1, got {o.num_classes}.")
        self.data_config = _data_config(timm, o.model)
        self.module = None

    def identity(self) -> dict[str, Any]:
        import torch

        timm = _timm()
        return {**self._weights(), "data_config": self.data_config, "timm": timm.__version__, "torch": torch.__version__,
                **self._runtime_identity()}

    def _weights(self) -> dict[str, Any]:
        if self.file:
            return {"checkpoint_sha256": sha256_file_cached(self.file)}
        return {"pretrained_tag": _timm().models.get_pretrained_cfg(self.options.model).tag}  # type: ignore[union-attr]

    def _runtime_identity(self) -> dict[str, Any]:
        if self.options.runtime == "torch":
            return {}
        import onnxruntime

        return {"runtime": "onnxruntime", "onnxruntime": onnxruntime.__version__}

    def load(self) -> None:
        import torch

        timm = _timm()
        o = self.options
        if o.threads:
            torch.set_num_threads(o.threads)
        kwargs = {"num_classes": o.num_classes} if o.num_classes is not None else {}
        try:
            model = timm.create_model(o.model, pretrained=o.pretrained, checkpoint_path=str(self.file) if self.file else None,
                                      **kwargs)
        except (RuntimeError, OSError, ValueError) as e:
            where = f"checkpoint={o.checkpoint!r}" if self.file else "the hub (pretrained=true needs network)"
            raise ConfigError(f"timm: cannot build {o.model!r} from {where}: {str(e).splitlines()[0]}") from None
        self.module = model.float().eval()
        self.transform = timm.data.create_transform(**self.data_config, is_training=False)
        self.torch = torch
        self.session = None
        if o.runtime == "onnxruntime":
            key = hashlib.sha256(json.dumps({"model": o.model, "num_classes": o.num_classes, **self._weights()},
                                            sort_keys=True).encode()).hexdigest()[:32]
            example = torch.zeros(2, *self.data_config["input_size"])
            self.session = onnx_session(key, lambda: _both_outputs(model), example, ["pre_logits", "logits"], "timm: runtime=onnxruntime",
                                        o.threads)

    def serve(self, kind: str, requests: Sequence[EmbedImage | ClassifyImage]) -> list[Any]:
        x = self.torch.stack([self.transform(open_rgb(r.image, getattr(r, "flip", False), "timm")) for r in requests])
        if self.session is not None:
            pre_logits, logits = self.session.run(None, {"x": x.numpy()})
            return image_outputs.responses(kind, requests, pre_logits if kind == "embed_image" else logits, False, "timm")
        chunks = [x] if self.options.batch else x.split(1)
        with self.torch.inference_mode():
            ys = [self._forward(kind, c) for c in chunks]
        return image_outputs.responses(kind, requests, self.torch.cat(ys).double().numpy(), False, "timm")

    def _forward(self, kind: str, x: Any) -> Any:
        if kind == "embed_image":
            return self.module.forward_head(self.module.forward_features(x), pre_logits=True)
        return self.module(x)


def _both_outputs(model: Any) -> Any:
    """The graph exported for ONNX Runtime: both outputs the adapter serves, from one pass."""
    import torch

    class Outputs(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: Any) -> tuple[Any, Any]:
            features = self.model.forward_features(x)
            return self.model.forward_head(features, pre_logits=True), self.model.forward_head(features)

    return Outputs().eval()


def _timm() -> Any:
    try:
        import timm
        import timm.data  # noqa: F401
    except ImportError:
        raise ConfigError(f"the timm adapter needs timm: {INSTALL}.") from None
    return timm


def _data_config(timm: Any, name: str) -> dict[str, Any]:
    """The eval preprocessing of the model's pretrained config (input size, interpolation, mean,
    std, crop_pct, crop_mode), as timm resolves it."""
    cfg = timm.models.get_pretrained_cfg(name)
    config = timm.data.resolve_data_config({}, pretrained_cfg=cfg.to_dict() if cfg else {})
    return {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(config.items())}
