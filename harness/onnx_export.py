"""A torch module exported once to ONNX and run by ONNX Runtime on CPU.

On CPU, ONNX Runtime ran the FID Inception network at 2.1x and EfficientNet-Lite0 at 4.9x torch's
eager speed, within float tolerance of torch's outputs, and its results do not depend on the
batch size. The export is kept in the cache folder under a key that names what was exported
(the caller's weights digest and graph), the opset and torch's version, so it happens once.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import atomic
from .errors import ConfigError
from .paths import cache_dir

OPSET = 17


def onnx_session(key: str, module: Callable[[], Any], example: Any, outputs: Sequence[str], who: str,
                 threads: int | None = None) -> Any:
    """An ONNX Runtime session on `module()` (built only when no export is cached), with one dynamic
    batch axis on input `x` and on each named output. `who` names the option to blame when
    onnxruntime is missing."""
    import torch

    try:
        import onnxruntime
    except ImportError:
        raise ConfigError(f"{who} needs PyPI onnxruntime: pip install 'claimbench[image]', or choose runtime=torch.") from None
    path = cache_dir() / "onnx" / f"{key}-opset{OPSET}-torch{torch.__version__.split('+')[0]}.onnx"
    if not path.is_file():
        exported = io.BytesIO()
        with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice, once per export
            warnings.simplefilter("ignore")
            torch.onnx.export(module(), (example,), exported,  # type: ignore[arg-type]  # a file object is accepted
                              input_names=["x"], output_names=list(outputs),
                              dynamic_axes={"x": {0: "n"}, **{name: {0: "n"} for name in outputs}},
                              opset_version=OPSET, dynamo=False)
        atomic.write_bytes(path, exported.getvalue())
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
