"""`diffusers:path=FOLDER`: any diffusers DiffusionPipeline as a `sample_images` generator.

Each SampleImages request is one pipeline call: batch_size=n, a torch.Generator seeded
with the request's seed (chunk k of the sample stream), num_inference_steps=steps,
guidance_scale=guidance and class_labels=[class_label]*n where the pipeline takes them
(a request asking for one the pipeline lacks is refused, naming it). Outputs in [0, 1]
are rounded to uint8 and written as PNG. The fingerprint holds the hash of every file in
the pipeline folder (weights, scheduler and model configs) and the pipeline class named in
its model_index.json, so building the adapter reads no weights; load() builds the pipeline.
"""
from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.hashing import sha256_file_cached
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.requests import SampleImages

from .generators import save_images


def _pipeline_class(folder: Path) -> str:
    """The pipeline class named in the saved folder's model_index.json: the class from_pretrained builds."""
    index = folder / "model_index.json"
    if not index.is_file():
        raise ConfigError(f"diffusers: {str(folder)!r} is not a saved pipeline (no model_index.json); "
                          "save one with pipeline.save_pretrained(folder).")
    try:
        name = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
    except (ValueError, AttributeError):
        name = None
    if not isinstance(name, str):
        raise ConfigError(f"diffusers: {str(index)!r} names no pipeline class (\"_class_name\"); "
                          "save the pipeline again.")
    return name


class DiffusersGenerator(ModelAdapter):
    kinds = frozenset({"sample_images"})

    @dataclass(frozen=True)
    class Options:
        path: str = option(fingerprint=False, doc="a saved DiffusionPipeline folder (save_pretrained; identified by its files)")
        dtype: Literal["float32", "bfloat16", "float16"] = option("float32")
        device: str = option("cpu")

    def __init__(self, options, spec, label=None):
        super().__init__(options, spec, label)
        try:
            import diffusers  # noqa: F401 (checked here, used by load)
            import torch
        except ImportError:
            raise ConfigError("the diffusers generator needs diffusers and torch: pip install 'claimbench[image]'.") from None
        self.folder = Path(options.path).expanduser()
        self.pipeline_class = _pipeline_class(self.folder)
        self.torch = torch
        self.files = {str(f.relative_to(self.folder)): sha256_file_cached(f)
                      for f in sorted(self.folder.rglob("*")) if f.is_file()}
        self.pipe = None  # the DiffusionPipeline, built by load()

    def load(self) -> None:
        import diffusers

        self.pipe = diffusers.DiffusionPipeline.from_pretrained(str(self.folder),
                                                                torch_dtype=getattr(self.torch, self.options.dtype))
        self.pipe.to(self.options.device)
        self.pipe.set_progress_bar_config(disable=True)
        self.params = set(inspect.signature(self.pipe.__call__).parameters)

    def identity(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline_class, "files": self.files}

    def _kwargs(self, r: SampleImages) -> dict:
        kw: dict[str, Any] = {"batch_size": r.n, "output_type": "np",
                              "generator": self.torch.Generator(self.options.device).manual_seed(r.seed)}
        asked = {"num_inference_steps": r.steps, "guidance_scale": r.guidance,
                 "class_labels": None if r.class_label is None else [r.class_label] * r.n}
        for name, value in asked.items():
            if value is None:
                continue
            if name not in self.params:
                raise ConfigError(f"diffusers: {self.pipeline_class} takes no {name}; drop it from the task "
                                  f"(it accepts {', '.join(sorted(self.params - {'self', 'kwargs'}))}).")
            kw[name] = value
        if "class_labels" in kw:
            kw.pop("batch_size")  # class-conditional pipelines size the batch from the labels
        return kw

    def serve(self, kind: str, requests: Sequence[SampleImages]) -> list[Any]:
        out = []
        for r in requests:
            images = self.pipe(**self._kwargs(r)).images
            arr = np.clip(np.rint(np.asarray(images, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
            out.append(save_images(arr if arr.ndim == 4 else arr[..., None]))
        return out
