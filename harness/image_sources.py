"""Image sets as uint8 arrays (n, h, w, c): folders, .npy/.npz arrays, IDX files, `datasets` datasets.

A source spec is a path, optionally with a slice (`t10k-images-idx3-ubyte.gz[5000:10000]`),
`data:REL_PATH` for a file under $CLAIMBENCH_DATA (`data:mnist/t10k-images-idx3-ubyte.gz`,
so commands stay portable), or `hf:NAME[:SPLIT[:COLUMN]]`. Grayscale stays one channel here; the feature network
decides how to turn it into RGB. The fingerprint (file content hashes plus the slice) is
what reference statistics are cached under.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError
from .hashing import sha256_file_cached
from .media import resolve_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
_SLICE = re.compile(r"^(.*)\[(\d*):(\d*)\]$")


@dataclass(frozen=True)
class ImageSet:
    images: np.ndarray    # uint8 (n, h, w, c), c in {1, 3}
    fingerprint: str
    source: str

    def __len__(self) -> int:
        return len(self.images)


def as_nhwc(arr: np.ndarray, where: str) -> np.ndarray:
    """uint8 (n, h, w, c) from (n, h, w) or (n, h, w, c) with c in 1/3/4 (alpha dropped)."""
    if arr.dtype != np.uint8:
        raise DataError(f"{where}: images are {arr.dtype}; expected uint8 in [0, 255] (convert with (x * 255).round().astype('uint8')).")
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3, 4):
        raise DataError(f"{where}: images have shape {arr.shape}; expected (n, h, w) or (n, h, w, c) with c = 1, 3 or 4.")
    return arr[..., :3]


def _idx(path: Path, dims: int, what: str, hint: str) -> tuple[bytes, list[int]]:
    """An IDX file's bytes (gzipped or not) and its dimensions, checked: uint8 data, `dims` axes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    head = 4 + 4 * dims
    if len(data) < head or data[:4] != bytes([0, 0, 8, dims]):
        raise DataError(f"{str(path)!r} is not an IDX {what} file (magic 0x0000080{dims}); {hint}.")
    shape = [int.from_bytes(data[i:i + 4], "big") for i in range(4, head, 4)]
    if len(data) != head + int(np.prod(shape)):
        raise DataError(f"{str(path)!r} is truncated: header says {' x '.join(map(str, shape))}.")
    return data, shape


def read_idx(path: Path) -> np.ndarray:
    """An IDX image file (MNIST, Fashion-MNIST), gzipped or not."""
    data, shape = _idx(path, 3, "image", "MNIST images are *-images-idx3-ubyte(.gz)")
    return np.frombuffer(data, np.uint8, offset=16).reshape(shape)


def read_idx_labels(path: Path) -> np.ndarray:
    """An IDX label file (MNIST's *-labels-idx1-ubyte), gzipped or not."""
    data, _ = _idx(path, 1, "label", "MNIST labels are *-labels-idx1-ubyte(.gz)")
    return np.frombuffer(data, np.uint8, offset=8)


def _read_folder(path: Path) -> tuple[np.ndarray, str]:
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"folder {str(path)!r} has no images ({', '.join(IMAGE_SUFFIXES)}).")
    refs = [resolve_image(str(p), None, f"folder {str(path)!r}") for p in files]
    digest = hashlib.sha256("".join(f"{p.relative_to(path)}:{r.sha256}\n" for p, r in zip(files, refs)).encode()).hexdigest()
    return _decode(refs, f"folder {str(path)!r}"), digest


def _decode(refs: list, where: str) -> np.ndarray:
    """The images of media refs (media.py, as every image task resolves them) as one uint8 stack."""
    from PIL import Image

    arrays = []
    for ref in refs:
        with Image.open(ref.path) as im:
            arrays.append(np.asarray(im.convert("L" if im.mode in ("L", "I;16", "1") else "RGB")))
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DataError(f"{where} mixes image sizes/modes {sorted(shapes)[:3]}...; resize them to one size first.")
    return np.stack(arrays)


def _read_array(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    with np.load(path, allow_pickle=False) as z:
        key = "images" if "images" in z.files else (z.files[0] if len(z.files) == 1 else None)
        if key is None:
            raise DataError(f"{str(path)!r} holds arrays {z.files}; name the images array 'images'.")
        return z[key]


def _read_hf(spec: str) -> tuple[np.ndarray, str]:
    parts = spec.split(":")[1:]
    name, split, column = parts[0], parts[1] if len(parts) > 1 else "test", parts[2] if len(parts) > 2 else "image"
    try:
        import datasets
    except ImportError:
        raise DataError(f"image source {spec!r} needs the `datasets` package: pip install datasets.") from None
    try:
        ds = datasets.load_dataset(name, split=split)
    except Exception as e:  # offline, unknown name: one clear message
        raise DataError(f"image source {spec!r}: datasets.load_dataset({name!r}, split={split!r}) failed: {e}") from None
    if column not in ds.column_names:
        raise DataError(f"image source {spec!r}: no column {column!r}; columns are {ds.column_names}.")
    if isinstance(ds.features[column], datasets.Image):  # the stored bytes, resolved as any dataset's media field
        refs = [resolve_image(v, None, f"image source {spec!r}") for v in ds.cast_column(column, datasets.Image(decode=False))[column]]
        return _decode(refs, f"image source {spec!r}"), ds._fingerprint
    return np.stack([np.asarray(im) for im in ds[column]]), ds._fingerprint


def _data_path(text: str) -> Path:
    root = os.environ.get("CLAIMBENCH_DATA")
    if not root:
        raise DataError(f"image source {text!r} is relative to $CLAIMBENCH_DATA, which is not set; set it (CI uses ../shared/data).")
    return Path(root) / text.removeprefix("data:")


def load_images(spec: str) -> ImageSet:
    """Read the image set named by `spec` (see the module docstring)."""
    if spec.startswith("hf:"):
        arr, digest = _read_hf(spec)
        return ImageSet(as_nhwc(arr, spec), digest, spec)
    m = _SLICE.match(spec)
    path_text, start, stop = (m.group(1), m.group(2), m.group(3)) if m else (spec, "", "")
    path = _data_path(path_text) if path_text.startswith("data:") else Path(path_text).expanduser()
    if not path.exists():
        raise DataError(f"image source {path_text!r} does not exist; give a folder, a .npy/.npz file, an IDX file, or hf:NAME.")
    if path.is_dir():
        arr, digest = _read_folder(path)
    elif path.name.endswith(("-ubyte", "-ubyte.gz", ".idx", ".idx.gz")):
        arr, digest = read_idx(path), sha256_file_cached(path)
    elif path.suffix in (".npy", ".npz"):
        arr, digest = _read_array(path), sha256_file_cached(path)
    else:
        raise DataError(f"image source {path_text!r}: unknown format; use a folder, .npy/.npz, or an IDX (*-ubyte[.gz]) file.")
    arr = as_nhwc(arr, path_text)
    if m:
        lo, hi = int(start or 0), int(stop) if stop else len(arr)
        if not 0 <= lo < hi <= len(arr):
            raise DataError(f"image source {spec!r}: slice [{lo}:{hi}] is outside the {len(arr)} images.")
        arr = arr[lo:hi]
        digest = f"{digest}[{lo}:{hi}]"
    return ImageSet(arr, digest, spec)
