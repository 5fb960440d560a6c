"""Pickled data files read without arbitrary unpickling.

Public datasets still ship as pickles (InsightFace's verification .bin files, CIFAR's python
batches). pickle.load would call any callable a crafted file names, so `load` resolves only
what data pickles need: numpy's array, dtype and scalar reconstruction, and `_codecs.encode`
for latin-1 text (how Python 3 pickles bytes at protocol 2). Anything else (os.system,
builtins.exec, ...) is refused before it is called, with a DataError naming the file and the
global it asked for.
"""
from __future__ import annotations

import codecs
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` as pickles of bytes use it, and nothing more."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode({type(text).__name__}, {encoding!r}) is not how bytes are pickled")
    return codecs.encode(text, "latin1")


def _allowed() -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {("_codecs", "encode"): _latin1_encode, ("numpy", "ndarray"): np.ndarray,
                                       ("numpy", "dtype"): np.dtype}
    multiarray = (getattr(np, "_core", None) or np.core).multiarray
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):  # numpy 1.x and 2.x names
        out[(module, "_reconstruct")] = multiarray._reconstruct
        out[(module, "scalar")] = multiarray.scalar
    return out


class _Restricted(pickle.Unpickler):
    def __init__(self, file: Any, source: Path, what: str):
        super().__init__(file, encoding="bytes")  # Python 2 str -> bytes, as the data was written
        self.source, self.what, self.allowed = source, what, _allowed()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise DataError(f"{self.source}: refused to load: the pickle asks for {module}.{name}, which {self.what} "
                            "never holds (only containers, bytes, numbers and numpy arrays). The file may be crafted "
                            "to run code; get it from the dataset's own release.") from None


def load(path: Path, what: str) -> Any:
    """The data pickled in `path` (`what` names the kind of file for messages, e.g. 'a CIFAR batch')."""
    try:
        with open(path, "rb") as f:
            return _Restricted(f, path, what).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError) as e:
        raise DataError(f"{path}: not {what} ({type(e).__name__}: {e}).") from None
    except (MemoryError, OverflowError):  # a length field claiming more than the machine holds
        raise DataError(f"{path}: not {what}: it declares an object larger than memory (a damaged or crafted "
                        "file); get it from the dataset's own release.") from None
