"""`torch-module`: an image embedder or classifier that is a torch module, as TorchScript or as Python code.

Two forms: `path=model.pt`, a TorchScript file (`torch.jit.save`), or `factory=NAME` (registered in
the `claimbench.factories` group) or `factory=package.module:function`: a function that returns the
`nn.Module`, with optional `weights=state_dict.pt` loaded into it (strictly, `weights_only=True`).
The module runs in eval mode under `torch.inference_mode`, fp32 on CPU; the output tensor's rows,
flattened, are the raw embeddings or a classifier's logits (image_outputs.py). Images run one by
one unless `batch=true`: torch's CPU kernels round a batch differently from a single image (~1e-7), and a
response must not depend on the batch size (ONNX Runtime matched exactly, so `onnx` batches).
Preprocessing is shared with the onnx adapter (models/image/preprocessing.py). The identity holds
the files' sha256, the factory's name and the sha256 of the factory's source file (found
without running it), so editing the factory's code is a new model for the cache.
"""
from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from claimbench.harness import registry
from claimbench.harness.errors import AdapterError, ConfigError
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import ClassifyImage, EmbedImage

from . import outputs as image_outputs
from .preprocessing import PreprocessOptions

_REF = re.compile(r"[A-Za-z_][\w.-]*|[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")  # a name or a reference


class TorchImageModel(ModelAdapter):
    kinds = image_outputs.KINDS

    @dataclass(frozen=True, kw_only=True)
    class Options(PreprocessOptions):
        adapter: ClassVar[str] = "torch-module"
        path: str | None = option(None, fingerprint=False, doc="a TorchScript file (identified by its sha256)")
        factory: str | None = option(None, doc="a registered factory name (`claimbench list factories`) or "
                                                   "package.module:function returning the nn.Module")
        weights: str | None = option(None, fingerprint=False, doc="a state_dict file loaded into the factory's "
                                                                  "module (identified by its sha256)")
        threads: int | None = option(None, fingerprint=False, doc="torch CPU threads")
        probabilities: bool = option(False, doc="a classifier's output is already probabilities (default: logits, softmaxed)")
        batch: bool = option(False, fingerprint=False, doc="one forward call per batch instead of per image: faster, "
                                                           "but torch's CPU kernels may round differently (~1e-7)")

        def __post_init__(self) -> None:
            super().__post_init__()
            if (self.path is None) == (self.factory is None):
                raise ConfigError("torch-module: give exactly one of path=MODEL.pt (TorchScript) or "
                                  "factory=NAME or factory=package.module:function (with optional weights=STATE_DICT.pt).")
            if self.factory is not None and not _REF.fullmatch(self.factory):
                raise ConfigError(f"torch-module: option 'factory' must be a registered name or a 'package.module:function' reference, "
                                  f"got {self.factory!r}; nothing was imported.")
            if self.weights is not None and self.factory is None:
                raise ConfigError("torch-module: option 'weights' goes with factory=; a TorchScript path= holds its weights.")
            if self.threads is not None and self.threads < 1:
                raise ConfigError(f"torch-module: option 'threads' must be >= 1, got {self.threads}.")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        self.files = {name: _file(name, getattr(options, name)) for name in ("path", "weights")
                      if getattr(options, name) is not None}
        self.pre = options.preprocess()
        self.module = None

    def identity(self) -> dict[str, Any]:
        torch = _torch()
        ident: dict[str, Any] = {f"{name}_sha256": sha256_file_cached(p) for name, p in self.files.items()}
        if self.options.factory:
            ident["factory_source_sha256"] = _source_hash(self.options.factory)
        return {**ident, "torch": torch.__version__, **self.pre.describe()}

    def load(self) -> None:
        torch = _torch()
        o = self.options
        if o.threads:
            torch.set_num_threads(o.threads)
        if o.path is not None:
            try:
                module = torch.jit.load(str(self.files["path"]), map_location="cpu")
            except (RuntimeError, ValueError) as e:
                raise ConfigError(f"torch-module: path={o.path!r} is not a TorchScript file ({str(e).splitlines()[0]}); "
                                  "save one with torch.jit.save(torch.jit.script(model), ...), or pass "
                                  "factory=package.module:function with weights=STATE_DICT.pt.") from None
        else:
            module = registry.named_or_code(registry.factories, o.factory, "torch-module: option 'factory'")()
            if not isinstance(module, torch.nn.Module):
                raise ConfigError(f"torch-module: factory={o.factory!r} returned {type(module).__name__}, not a torch.nn.Module.")
            if o.weights is not None:
                try:
                    state = torch.load(self.files["weights"], map_location="cpu", weights_only=True)
                    module.load_state_dict(state, strict=True)
                except (RuntimeError, ValueError, OSError) as e:
                    raise ConfigError(f"torch-module: weights={o.weights!r} does not load into factory={o.factory!r}'s "
                                      f"module: {str(e).splitlines()[0]}") from None
        self.module = module.float().to("cpu").eval()
        self.torch = torch

    def serve(self, kind: str, requests: Sequence[EmbedImage | ClassifyImage]) -> list[Any]:
        x = self.torch.from_numpy(self.pre.batch([(r.image, getattr(r, "flip", False)) for r in requests], "torch-module"))
        chunks = [x] if self.options.batch else x.split(1)
        with self.torch.inference_mode():
            ys = [self._forward(c) for c in chunks]
        return image_outputs.responses(kind, requests, self.torch.cat(ys).double().numpy(), self.options.probabilities,
                                       "torch-module")

    def _forward(self, x: Any) -> Any:
        y = self.module(x)
        if not isinstance(y, self.torch.Tensor):
            raise AdapterError(f"torch-module: the module returned {type(y).__name__}; an image model returns one (N, D) tensor.")
        return y.detach().float().reshape(len(x), -1)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigError("the torch-module adapter needs torch: pip install 'claimbench[image]'.") from None
    return torch


def _file(name: str, value: str) -> Path:
    p = Path(value).expanduser()
    if not p.is_file():
        raise ConfigError(f"torch-module: {name}={value!r} is not a file.")
    return p


def _source_hash(ref: str) -> str | None:
    """sha256 of the factory module's source file, located without running the module itself
    (its parent packages are imported, as Python must to find it); None if it has no file."""
    module = registry.code_reference(registry.factories, ref).partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        raise ConfigError(f"torch-module: option 'factory' {ref!r}: module {module!r} cannot be found; "
                          "is its package installed or on PYTHONPATH?")
    return sha256_file_cached(spec.origin)
