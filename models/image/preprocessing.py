"""Image preprocessing of the `onnx` and `torch-module` adapters: one timm-style config, in the fingerprint.

Preprocessing belongs to the model (like timm's pretrained config): the same weights fed
another size, normalisation or channel order give other outputs, so every field here is
an option of the adapters that use it and part of their fingerprint. Defaults are ArcFace's
(InsightFace): 112x112 RGB, (pixel - 127.5) / 127.5, NCHW. Mean and std are in 0-255 pixel
units (timm's 0-1 values times 255). The decoded image is mirrored first when a request asks
for `flip`, then resized to `size` (ignoring aspect ratio, as for aligned face crops), or, with
`crop_pct` (timm's), resized so its shorter side is size / crop_pct and centre-cropped to size
(ImageNet classifiers). `channels=gray` feeds one luminance channel (MNIST-style models).

Lists are `;`-separated in a spec (`mean=123.675;116.28;103.53`); one number serves every channel,
`size=112` means 112x112 and `size=112;96` is height;width.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import option
from claimbench.harness.requests import ImageRef

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")


@dataclass(frozen=True, kw_only=True)
class PreprocessOptions:
    """The preprocessing fields an image adapter's Options inherit (normalised after parsing)."""

    adapter: ClassVar[str] = "image embedder"  # the adapter's name, for messages
    size: tuple[int, ...] = option((112, 112), doc="input height;width in pixels, or one number for a square")
    mean: tuple[float, ...] = option((127.5,) * 3, doc="per-channel mean subtracted, 0-255 units (one number: every channel)")
    std: tuple[float, ...] = option((127.5,) * 3, doc="per-channel divisor after the mean, 0-255 units")
    layout: Literal["nchw", "nhwc"] = option("nchw", doc="tensor layout the model takes")
    channels: Literal["rgb", "bgr", "gray"] = option("rgb", doc="channel order the model takes (gray: one channel)")
    crop_pct: float | None = option(None, doc="resize the shorter side to size / crop_pct, then centre-crop size "
                                              "(timm's crop_pct, e.g. 0.875); default: resize to size")
    interpolation: Literal["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"] = option(
        "bilinear", doc="PIL resampling filter used to resize to size")

    def __post_init__(self) -> None:
        who = f"{self.adapter}:"
        size = tuple(self.size) if isinstance(self.size, (tuple, list)) else (self.size,)
        if len(size) == 1:
            size = size * 2
        if len(size) != 2 or any(not isinstance(s, int) or isinstance(s, bool) or s < 1 for s in size):
            raise ConfigError(f"{who} option 'size' must be one positive integer (a square) or height;width, "
                              f"got {self.size!r}; ArcFace models take size=112.")
        object.__setattr__(self, "size", size)
        n = 1 if self.channels == "gray" else 3
        for name in ("mean", "std"):
            value = getattr(self, name)
            vals = tuple(float(v) for v in (value if isinstance(value, (tuple, list)) else (value,)))
            if len(vals) == 1 or (n == 1 and len(set(vals)) == 1):
                vals = vals[:1] * n
            if len(vals) != n or not all(np.isfinite(vals)):
                raise ConfigError(f"{who} option {name!r} must be one number{' or three (r;g;b' if n == 3 else ' (gray'}, "
                                  f"0-255 units), got {value!r}.")
            if name == "std" and any(v == 0 for v in vals):
                raise ConfigError(f"{who} option 'std' must not be 0 (it divides), got {value!r}; ArcFace uses std=127.5.")
            object.__setattr__(self, name, vals)
        if self.crop_pct is not None and not 0 < self.crop_pct <= 1:
            raise ConfigError(f"{who} option 'crop_pct' must be in (0, 1], got {self.crop_pct}; timm's ImageNet models use 0.875.")

    def preprocess(self) -> Preprocess:
        return Preprocess(self.size, self.mean, self.std, self.layout, self.channels, self.interpolation, self.crop_pct)


@dataclass(frozen=True)
class Preprocess:
    """Decoded file -> float32 array the model takes (one image: CHW or HWC; a batch adds N)."""

    size: tuple[int, int]  # (height, width)
    mean: tuple[float, ...]  # RGB order (or one gray value), 0-255
    std: tuple[float, ...]
    layout: str = "nchw"
    channels: str = "rgb"
    interpolation: str = "bilinear"
    crop_pct: float | None = None

    def shape(self) -> tuple[int, int, int]:
        """One image's shape as the model takes it."""
        h, w = self.size
        c = 1 if self.channels == "gray" else 3
        return (c, h, w) if self.layout == "nchw" else (h, w, c)

    def array(self, ref: ImageRef, flip: bool = False, who: str = "image embedder") -> np.ndarray:
        from PIL import Image

        im = open_rgb(ref, flip, who)
        if self.channels == "gray":
            im = im.convert("L")
        h, w = self.size
        resample = getattr(Image.Resampling, self.interpolation.upper())
        if self.crop_pct is None:
            im = im.resize((w, h), resample)
        else:
            im = _resize_and_centre_crop(im, h, w, self.crop_pct, resample)
        x = np.asarray(im, dtype=np.float32)
        if x.ndim == 2:
            x = x[:, :, None]
        x = (x - np.float32(self.mean)) / np.float32(self.std)
        if self.channels == "bgr":
            x = x[:, :, ::-1]
        if self.layout == "nchw":
            x = x.transpose(2, 0, 1)
        return np.ascontiguousarray(x, dtype=np.float32)

    def batch(self, items: Sequence[tuple[ImageRef, bool]], who: str = "image embedder") -> np.ndarray:
        """(N, ...) float32 for (image, flip) pairs."""
        return np.stack([self.array(ref, flip, who) for ref, flip in items])

    def describe(self) -> dict[str, Any]:
        """What the fingerprint records beyond the options: the library that decodes and resizes."""
        import PIL

        return {"pillow": PIL.__version__}


def _resize_and_centre_crop(im: Any, h: int, w: int, crop_pct: float, resample: int) -> Any:
    """timm's eval transform: shorter side to floor(size / crop_pct), then the centre h x w."""
    scale = int(np.floor(min(h, w) / crop_pct))
    iw, ih = im.size
    if iw <= ih:
        nw, nh = scale, int(scale * ih / iw)
    else:
        nw, nh = int(scale * iw / ih), scale
    im = im.resize((nw, nh), resample)
    left, top = int(round((nw - w) / 2.0)), int(round((nh - h) / 2.0))
    return im.crop((left, top, left + w, top + h))


def open_rgb(ref: ImageRef, flip: bool = False, who: str = "image embedder") -> Any:
    """The image's file as an RGB PIL image, mirrored left-right when `flip`."""
    if ref.path is None:
        raise ConfigError(f"{who}: image {ref.sha256[:12]} has no file path; images reach models through the "
                          "dataset's media fields.")
    try:
        from PIL import Image
    except ImportError:
        raise ConfigError(f"{who} needs Pillow: pip install 'claimbench[face]'.") from None
    try:
        with Image.open(ref.path) as im:
            im = im.convert("RGB")
    except OSError as e:
        raise ConfigError(f"{who}: cannot read image {ref.path} ({ref.sha256[:12]}): {e}") from None
    return im.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if flip else im
