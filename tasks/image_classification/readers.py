"""Readers of the image classification sets' public formats, registered under `claimbench.readers`.

Each returns rows `{"index", "image", "label"}` in the file's order; `image` is PNG bytes
(decoded arrays re-encoded losslessly, so the data layer hashes and caches them like any
image) or a path relative to the image folder; `label` is the class index.

- `idx`: MNIST / Fashion-MNIST: the images file (`*-images-idx3-ubyte[.gz]`) and its labels
  file beside it (`images-idx3` replaced by `labels-idx1` in the name).
- `cifar_batch`: CIFAR-10's python batch (`cifar-10-batches-py/test_batch`): a pickled dict
  with `data` (n x 3072, the red, green and blue planes) and `labels`, read with the
  restricted unpickler (a crafted batch cannot run code).
- `imagenet_folders`: ImageNet validation images sorted into one folder per synset
  (`val/<wnid>/*.JPEG`, as valprep.sh and torchvision's ImageFolder have them); the file is
  the synset list in class-index order (`LOC_synset_mapping.txt`: "n01440764 tench, ..." lines,
  the sorted wnids that PyTorch ImageNet models index), the folder is dataset.media_root.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from claimbench.harness import safe_pickle
from claimbench.harness.errors import DataError
from claimbench.harness.image_sources import read_idx, read_idx_labels

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def _png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def _rows(images: np.ndarray, labels: Any, path: Path) -> list[dict]:
    if len(images) != len(labels):
        raise DataError(f"{path}: {len(images)} images but {len(labels)} labels; the two files must belong together.")
    return [{"index": i, "image": _png(im), "label": int(y)} for i, (im, y) in enumerate(zip(images, labels))]


def idx(path: Path, cfg: Any = None) -> list[dict]:
    if "images-idx3" not in path.name:
        raise DataError(f"{path}: the idx reader takes the images file (*-images-idx3-ubyte[.gz]); its labels file is found beside it.")
    labels = path.with_name(path.name.replace("images-idx3", "labels-idx1"))
    if not labels.is_file():
        raise DataError(f"{path}: its labels file {labels.name} is missing; it belongs beside the images file.")
    return _rows(read_idx(path), read_idx_labels(labels), path)


def cifar_batch(path: Path, cfg: Any = None) -> list[dict]:
    batch = safe_pickle.load(path, "a CIFAR python batch")
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{path}: not a CIFAR-10 python batch (a dict with data and labels); CIFAR-100 batches say fine_labels.")
    data = np.asarray(batch[b"data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DataError(f"{path}: data has shape {data.shape} and dtype {data.dtype}; a CIFAR batch holds n x 3072 uint8.")
    return _rows(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), batch[b"labels"], path)


def imagenet_folders(path: Path, cfg: Any = None) -> list[dict]:
    wnids = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(set(wnids)) != len(wnids) or not all(w.startswith("n") and w[1:].isdigit() for w in wnids):
        raise DataError(f"{path}: expected one synset id (n01440764 ...) per line, each once, in class-index order.")
    root = path.parent / (getattr(cfg, "media_root", "") or "")
    rows = []
    for label, wnid in enumerate(wnids):
        folder = root / wnid
        if not folder.is_dir():
            raise DataError(f"{path}: the folder of class {label} ({wnid}) is missing under {root}; sort the validation "
                            "images into one folder per synset (ImageNet's valprep.sh).")
        for image in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            rows.append({"index": len(rows), "image": f"{wnid}/{image.name}", "label": label, "synset": wnid})
    return rows
