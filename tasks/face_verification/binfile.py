"""InsightFace's verification .bin files, read without arbitrary unpickling.

A .bin is `pickle.dump((bins, issame_list))`: the encoded images (bytes, or uint8 numpy arrays
of the encoded bytes) and one same-identity flag per pair. It is read with the harness's
restricted unpickler (harness/safe_pickle.py), so a crafted file cannot run code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from claimbench.harness import safe_pickle
from claimbench.harness.errors import DataError

_WHAT = "an InsightFace verification .bin"


def load_bin(path: Path) -> tuple[list[bytes], list[bool]]:
    """(encoded images, one flag per pair), checked: two images per flag."""
    data = safe_pickle.load(path, _WHAT)
    if not (isinstance(data, tuple) and len(data) == 2):
        raise DataError(f"{path}: expected a pickled (images, same_flags) pair, got {type(data).__name__}.")
    images = [_image_bytes(x, path, i) for i, x in enumerate(data[0])]
    flags = [_flag(x, path, i) for i, x in enumerate(data[1])]
    if len(images) != 2 * len(flags):
        raise DataError(f"{path}: {len(images)} images for {len(flags)} pairs; a .bin holds two images per pair.")
    return images, flags


def _image_bytes(x: Any, path: Path, i: int) -> bytes:
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 1:
        return x.tobytes()
    raise DataError(f"{path}: image {i} is a {type(x).__name__}, not encoded image bytes.")


def _flag(x: Any, path: Path, i: int) -> bool:
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, (int, np.integer)) and x in (0, 1)):
        return bool(x)
    raise DataError(f"{path}: same-flag {i} is {x!r}, not true/false.")
