"""`onnx`: an image embedder or classifier exported to ONNX, run by ONNX Runtime on CPU.

InsightFace publishes its recognition models as ONNX files, and classifiers export to ONNX from
any framework; ONNX Runtime is the reference way to run them. The model is identified by its file's sha256 (and any external-data files
it references), never its path, so moving it keeps the cache. Building reads the graph's
metadata with the `onnx` package (one float32 image input, its shape, the output names) and
refuses a size, layout or output that does not fit, naming the option; `load()` starts the
session. A dynamic batch axis runs each batch in one call, a fixed batch of 1 image by image.
The chosen output's row is the embedding (raw, not L2-normalised) or the logits a
classification response is made from (image_outputs.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from claimbench.harness.errors import ConfigError, did_you_mean
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import ClassifyImage, EmbedImage

from . import outputs as image_outputs
from .preprocessing import PreprocessOptions

INSTALL = "pip install 'claimbench[face]'"


class ONNXImageModel(ModelAdapter):
    kinds = image_outputs.KINDS

    @dataclass(frozen=True, kw_only=True)
    class Options(PreprocessOptions):
        adapter: ClassVar[str] = "onnx"
        path: str = option(fingerprint=False, doc="the .onnx file (identified by its sha256, not its path)")
        output: str | None = option(None, doc="name of the model output to return (default: the first)")
        probabilities: bool = option(False, doc="a classifier's output is already probabilities (default: logits, softmaxed)")
        threads: int | None = option(None, fingerprint=False, doc="ONNX Runtime intra-op threads (default: its own)")

        def __post_init__(self) -> None:
            super().__post_init__()
            if self.threads is not None and self.threads < 1:
                raise ConfigError(f"onnx: option 'threads' must be >= 1, got {self.threads}; leave it out for ONNX Runtime's default.")

    def __init__(self, options: Options, spec, label=None):
        super().__init__(options, spec, label)
        self.file = Path(options.path).expanduser()
        if not self.file.is_file():
            raise ConfigError(f"onnx: path={options.path!r} is not a file; give the .onnx model file.")
        self.pre = options.preprocess()
        self.graph = _read_graph(self.file, options)
        self.session = None

    def identity(self) -> dict[str, Any]:
        folder = self.file.parent
        return {"sha256": sha256_file_cached(self.file),
                "external_data": {loc: sha256_file_cached(folder / loc) for loc in self.graph["external"]},
                "onnxruntime": _import("onnxruntime").__version__, **self.pre.describe()}

    def load(self) -> None:
        ort = _import("onnxruntime")
        so = ort.SessionOptions()
        so.log_severity_level = 3  # errors only
        so.use_deterministic_compute = True
        if self.options.threads:
            so.intra_op_num_threads = self.options.threads
            so.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.file), sess_options=so, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own Fail / InvalidGraph types
            raise ConfigError(f"onnx: ONNX Runtime cannot load path={self.options.path!r}: {e}") from None

    def serve(self, kind: str, requests: Sequence[EmbedImage | ClassifyImage]) -> list[Any]:
        x = self.pre.batch([(r.image, getattr(r, "flip", False)) for r in requests], "onnx")
        name, out = self.graph["input"], self.graph["output"]
        if self.graph["batch"] is None:
            y = self.session.run([out], {name: x})[0]
        else:  # a fixed batch of 1: image by image
            import numpy as np

            y = np.concatenate([self.session.run([out], {name: x[i:i + 1]})[0] for i in range(len(x))])
        return image_outputs.responses(kind, requests, y, self.options.probabilities, "onnx")


def _import(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        raise ConfigError(f"the onnx adapter needs {name}: {INSTALL}.") from None


def _read_graph(file: Path, o: ONNXImageModel.Options) -> dict[str, Any]:
    """The one image input, its fixed batch (None when dynamic), the output to return and any
    external-data files, read from the model's metadata and checked against the options."""
    onnx = _import("onnx")
    where = f"onnx: path={o.path!r}"
    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception as e:  # protobuf DecodeError and friends
        raise ConfigError(f"{where} is not an ONNX model ({type(e).__name__}); give a file saved by torch.onnx.export "
                          "or onnx.save.") from None
    graph = model.graph
    init = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in init]
    if model.ir_version < 1 or not inputs or not graph.output:
        raise ConfigError(f"{where} is not an ONNX model (no graph inputs or outputs); give a file saved by "
                          "torch.onnx.export or onnx.save.")
    if len(inputs) != 1:
        raise ConfigError(f"{where} takes {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); an image model takes one image tensor.")
    tensor = inputs[0].type.tensor_type
    if tensor.elem_type != onnx.TensorProto.FLOAT:
        raise ConfigError(f"{where}: input {inputs[0].name!r} is {onnx.TensorProto.DataType.Name(tensor.elem_type)}; "
                          "only float32 image inputs are supported (export the model in fp32).")
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    _check_shape(where, inputs[0].name, dims, o)
    outputs = [v.name for v in graph.output]
    if o.output is not None and o.output not in outputs:
        raise ConfigError(f"onnx: option output={o.output!r} is not an output of the model; its outputs are "
                          f"{', '.join(outputs)}.{did_you_mean(o.output, outputs)}")
    if dims[0] not in (None, 1):
        raise ConfigError(f"{where}: input {inputs[0].name!r} has a fixed batch of {dims[0]}; export it with a dynamic "
                          "batch axis (torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}})) or a batch of 1.")
    external = sorted({{e.key: e.value for e in t.external_data}.get("location", "") for t in graph.initializer
                       if t.data_location == onnx.TensorProto.EXTERNAL} - {""})
    return {"input": inputs[0].name, "output": o.output or outputs[0], "batch": dims[0], "external": external}


def _check_shape(where: str, name: str, dims: list[int | None], o: ONNXImageModel.Options) -> None:
    shape = "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"
    if len(dims) != 4:
        raise ConfigError(f"{where}: input {name!r} has shape {shape}; an image model takes a 4-d batch of images.")
    channel, spatial = (dims[1], dims[2:4]) if o.layout == "nchw" else (dims[3], dims[1:3])
    want = 1 if o.channels == "gray" else 3
    if channel not in (None, want):
        other = "nhwc" if o.layout == "nchw" else "nchw"
        hint = "channels=gray" if channel == 1 else f"layout={other} if the model takes {other.upper()} tensors"
        raise ConfigError(f"{where}: input {name!r} has shape {shape}, which with layout={o.layout} has {channel} "
                          f"channels, not {want}; set {hint}.")
    for axis, want, got in zip(("height", "width"), o.size, spatial):
        if got is not None and got != want:
            fixed = ";".join(str(d) if d is not None else str(w) for d, w in zip(spatial, o.size))
            raise ConfigError(f"{where}: input {name!r} has shape {shape}, whose {axis} is {got}, but option "
                              f"size={o.size[0]};{o.size[1]} gives {want}; set size={fixed}.")
