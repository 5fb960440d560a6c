"""Generators that serve `sample_images`: pre-generated image sets and Python callables.

Generated images are written once as PNG under the cache folder, named by content hash,
and returned as refs ({'sha256', 'path'}); the response cache keeps the refs, so a resumed
run reads the same files. Request `seed` k with `n` images is chunk k of the generator's
stream, so chunks never overlap.
"""
from __future__ import annotations

import hashlib
import inspect
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from claimbench.harness import atomic
from claimbench.harness.errors import AdapterError, ConfigError
from claimbench.harness.image_sources import as_nhwc, load_images
from claimbench.harness.model import ModelAdapter, option
from claimbench.harness.paths import cache_dir
from claimbench.harness.registry import import_code
from claimbench.harness.requests import SampleImages


def save_images(images: np.ndarray) -> list[dict]:
    """Write uint8 (n, h, w, c) images as PNG under cache_dir()/images; return their refs."""
    from PIL import Image

    folder, refs = cache_dir() / "images", []
    for im in images:
        buf = io.BytesIO()
        Image.fromarray(im[..., 0] if im.shape[-1] == 1 else im).save(buf, format="PNG")
        data = buf.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        path = folder / f"{digest}.png"
        if not path.is_file():
            atomic.write_bytes(path, data)
        refs.append({"sha256": digest, "path": str(path)})
    return refs


class ImageSetGenerator(ModelAdapter):
    """`images:source=SPEC[,noise=S]`: pre-generated samples (a folder, array or IDX file) served in order.

    `noise` adds Gaussian pixel noise of std S x 255 (seeded per chunk by `noise_seed`),
    for checking that a metric rises with degradation. Steps and guidance do not apply.
    """

    kinds = frozenset({"sample_images"})

    @dataclass(frozen=True)
    class Options:
        source: str = option(fingerprint=False, doc="image source (identified by its content): "
                                                    "folder, .npy/.npz, IDX file (optionally [start:stop]), or hf:NAME")
        noise: float = option(0.0, doc="Gaussian pixel noise, std as a fraction of 255")
        noise_seed: int = option(0)

    def __init__(self, options, spec, label=None):
        super().__init__(options, spec, label)
        if options.noise < 0:
            raise ConfigError(f"images: noise must be >= 0, got {options.noise}.")
        self.set = load_images(options.source)

    def identity(self) -> dict[str, Any]:
        return {"source_fingerprint": self.set.fingerprint, "count": len(self.set)}

    def serve(self, kind: str, requests: Sequence[SampleImages]) -> list[Any]:
        return [self._chunk(r) for r in requests]

    def _chunk(self, r: SampleImages) -> list[dict]:
        if r.steps is not None or r.guidance is not None or r.class_label is not None:
            raise ConfigError("images: a pre-generated set has no sampling steps, guidance or classes; drop them from the task.")
        lo, hi = r.seed * r.n, (r.seed + 1) * r.n
        if hi > len(self.set):
            raise ConfigError(f"images: chunk {r.seed} of {r.n} needs images [{lo}:{hi}], but {self.options.source!r} has "
                              f"{len(self.set)}; ask for at most {len(self.set)} samples.")
        images = self.set.images[lo:hi]
        if self.options.noise:
            rng = np.random.default_rng([self.options.noise_seed, r.seed])
            noisy = images + rng.normal(0, self.options.noise * 255, images.shape)
            images = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        return save_images(images)


class CallableGenerator(ModelAdapter):
    """`callable:fn=module:function`: fn(n=, seed=, steps=, guidance=, class_label=) -> uint8 (n, h, w[, c]) images.

    The function's source file hash is part of the fingerprint, so editing it invalidates the cache.
    """

    kinds = frozenset({"sample_images"})

    @dataclass(frozen=True)
    class Options:
        fn: str = option(doc="module:function returning uint8 images")

    def __init__(self, options, spec, label=None):
        super().__init__(options, spec, label)
        self.fn = import_code(options.fn, "callable: fn")
        source = inspect.getsourcefile(self.fn)
        self.source_sha = hashlib.sha256(Path(source).read_bytes()).hexdigest() if source else None

    def identity(self) -> dict[str, Any]:
        return {"fn": self.options.fn, "source_sha256": self.source_sha}

    def serve(self, kind: str, requests: Sequence[SampleImages]) -> list[Any]:
        out = []
        for r in requests:
            images = np.asarray(self.fn(n=r.n, seed=r.seed, steps=r.steps, guidance=r.guidance, class_label=r.class_label))
            images = as_nhwc(images, f"callable {self.options.fn}")
            if len(images) != r.n:
                raise AdapterError(f"callable {self.options.fn} returned {len(images)} images for n={r.n}.")
            out.append(save_images(images))
        return out
