"""Media fields of datasets: what a row's image is, resolved once by the data layer.

A task's dataset config declares which fields hold images (`media: {image: image}`). Each
such value may be a path relative to the dataset's folder (the original layouts: json
annotations beside an image folder), raw bytes, an HF `Image` feature (`{"bytes", "path"}`
undecoded, or a decoded PIL image), and becomes an `ImageRef`: the image's sha256 plus a
local file to read. Bytes are written once to a content-addressed cache
(~/.cache/claimbench/media/<sha256>), so hooks never see dataset folders or PIL objects,
request keys depend on image content only, and a moved dataset keeps its cache entries.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from . import atomic
from .errors import DataError
from .paths import cache_dir
from .requests import ImageRef

KINDS = ("image",)


def resolve_image(value: Any, base_dir: Path | None, where: str) -> ImageRef:
    """The ImageRef of one field value (see the module docstring for the forms accepted)."""
    if isinstance(value, ImageRef):
        return value
    if isinstance(value, dict) and ("bytes" in value or "path" in value):  # an undecoded HF Image feature
        value = value.get("bytes") or value.get("path")
    if isinstance(value, (bytes, bytearray)):
        return _cached(bytes(value))
    if isinstance(value, str) and value:
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise DataError(f"{where}: image {value!r} is not a file (looked at {str(path)!r}); image paths are "
                            "relative to the dataset file's folder (or to dataset.media_root under it).")
        return ImageRef.from_file(path)
    if hasattr(value, "save"):  # a decoded PIL image (HF Image feature with decode=True)
        buf = io.BytesIO()
        value.save(buf, format="PNG")
        return _cached(buf.getvalue())
    raise DataError(f"{where}: expected an image (a path, bytes, or an HF Image feature), got {type(value).__name__}.")


def _cached(data: bytes) -> ImageRef:
    digest = hashlib.sha256(data).hexdigest()
    path = cache_dir() / "media" / digest[:2] / digest
    if not path.is_file():
        atomic.write_bytes(path, data)
    return ImageRef(digest, str(path))


def resolve_rows(rows: list[dict], media: dict[str, str], base_dir: Path | None, source: str) -> list[dict]:
    """Rows with every declared media field turned into an ImageRef (checked: the field exists)."""
    for name, kind in media.items():
        if kind not in KINDS:
            raise DataError(f"{source}: media field {name!r} has kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    out = []
    for i, row in enumerate(rows):
        row = dict(row)
        for name in media:
            if name not in row:
                raise DataError(f"{source}: row {i} has no media field {name!r}.")
            row[name] = resolve_image(row[name], base_dir, f"{source}: row {i}, field {name!r}")
        out.append(row)
    return out
