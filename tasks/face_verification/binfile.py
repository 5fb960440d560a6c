"""InsightFace's verification .bin files, read without arbitrary unpickling.

A .bin is `pickle.dump((bins, issame_list))`: the encoded images (bytes, or uint8 numpy arrays
of the encoded bytes) and one same-identity flag per pair. pickle.load would run any callable
a crafted file names, so the unpickler here resolves only what such a file needs: numpy's
array and scalar reconstruction and `_codecs.encode` for latin-1 text (how Python 3 pickles
bytes at protocol 2). Anything else (os.system, builtins.eval, ...) is refused before it is
called, with an error naming the file and the global it asked for.
"""
from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import DataError


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` as pickles of bytes use it, and nothing more."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode({type(text).__name__}, {encoding!r}) is not how bytes are pickled")
    return codecs.encode(text, "latin1")


def _allowed() -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {("_codecs", "encode"): _latin1_encode, ("numpy", "ndarray"): np.ndarray,
                                       ("numpy", "dtype"): np.dtype}
    multiarray = getattr(np, "_core", None) or np.core
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):  # numpy 1.x and 2.x names
        out[(module, "_reconstruct")] = multiarray.multiarray._reconstruct
        out[(module, "scalar")] = multiarray.multiarray.scalar
    return out


class _Restricted(pickle.Unpickler):
    def __init__(self, file: Any, source: Path):
        super().__init__(file, encoding="bytes")  # Python 2 str -> bytes, as the images were written
        self.source, self.allowed = source, _allowed()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise DataError(f"{self.source}: refused to load: the pickle asks for {module}.{name}, which a verification "
                            ".bin never holds (only images as bytes and same/different flags). The file may be crafted "
                            "to run code; get the .bin from InsightFace's dataset release.") from None


def load_bin(path: Path) -> tuple[list[bytes], list[bool]]:
    """(encoded images, one flag per pair), checked: two images per flag."""
    try:
        with open(path, "rb") as f:
            data = _Restricted(io.BufferedReader(f), path).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError) as e:
        raise DataError(f"{path}: not an InsightFace verification .bin ({type(e).__name__}: {e}).") from None
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
