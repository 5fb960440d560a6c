"""Images in reports: what a sample was asked about (a digit, a document) and what a generator
made, shown as small WebP thumbnails.

A thumbnail is named by the sha256 of the image it shows (`media/ab/abcd….webp`), so each is
written once however many pages show it, and a thumbnail already published stands in for an
original that is not on this machine (results name images by content; the originals live in
the cache or the data folder of the machine that made the run). A standalone report carries
its thumbnails inline as data URIs instead, so it stays one file.
"""
from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from claimbench.harness import atomic, paths

SIDE = 320      # the longest side of a thumbnail, in pixels
SMALL = 84      # an image smaller than this (a 28 px digit) is enlarged by whole pixels to about this size
FOLDER = "media"


def image_refs(value: Any) -> list[tuple[str, str | None]]:
    """Every image reference ({"sha256", "path"?}) inside `value`, in order, each once: (sha256, recorded path)."""
    found: dict[str, str | None] = {}

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            sha = v.get("sha256")
            if isinstance(sha, str) and len(sha) == 64 and set(v) <= {"sha256", "path"}:
                found[sha] = found.get(sha) or v.get("path")
                return
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return list(found.items())


def sample_images(sample: dict) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """A logged sample's images: those its requests asked about (with the paths its row recorded),
    and those its responses returned (a generator's samples)."""
    where = dict(image_refs(sample.get("row", {})))
    asked = image_refs([r.get("request") for r in sample.get("requests", [])])
    made = image_refs([r.get("response") for r in sample.get("requests", [])])
    return [(sha, path or where.get(sha)) for sha, path in asked], made


def _encode(img: Image.Image) -> bytes:
    img = img.convert("L" if img.mode in ("1", "L", "I", "I;16", "F") else "RGB")
    if max(img.size) < SMALL:  # whole-pixel enlargement keeps a digit's pixels sharp in any browser
        k = -(-SMALL // max(img.size))
        img = img.resize((img.width * k, img.height * k), Image.Resampling.NEAREST)
    img.thumbnail((SIDE, SIDE))
    buf = io.BytesIO()
    img.save(buf, format="WEBP", quality=80, method=6)
    return buf.getvalue()


class Thumbnails:
    """Makes thumbnails for one page. With `site`, they are files under site/media/ linked as
    `prefix + media/...` (`written` lists them for the site's manifest); without, data URIs."""

    def __init__(self, site: Path | None = None, prefix: str = ""):
        self.site, self.prefix = site, prefix
        self.written: list[str] = []
        self.missing = 0  # images asked for whose original is not on this machine and not yet published
        self._links: dict[str, str] = {}  # rel -> link, so an image shown twice is read and encoded once

    def of_file(self, sha: str, recorded: str | None) -> str | None:
        """The thumbnail of the image with this sha256 (read from its recorded path or the media
        cache, checked against the hash), or None when it cannot be found."""
        rel = f"{FOLDER}/{sha[:2]}/{sha}.webp"
        if rel in self._links:
            return self._links[rel]
        if self.site is not None and (self.site / rel).is_file():
            return self._published(rel)
        data = _original(sha, recorded)
        if data is None:
            self.missing += 1
            return None
        with Image.open(io.BytesIO(data)) as img:
            return self._store(rel, _encode(img))

    def of_array(self, pixels: np.ndarray | None, name: str) -> str | None:
        """The thumbnail of an image held as a uint8 array (h, w, c), e.g. a reference set's, named
        by `name` (which must identify its content: the set's fingerprint and the index); None
        when the pixels are not at hand and no thumbnail of that name was published."""
        key = hashlib.sha256(name.encode()).hexdigest()
        rel = f"{FOLDER}/{key[:2]}/{key}.webp"
        if rel in self._links:
            return self._links[rel]
        if self.site is not None and (self.site / rel).is_file():
            return self._published(rel)
        if pixels is None:
            self.missing += 1
            return None
        arr = pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels
        return self._store(rel, _encode(Image.fromarray(arr)))

    def _published(self, rel: str) -> str:
        self.written.append(rel)
        self._links[rel] = self.prefix + rel
        return self._links[rel]

    def _store(self, rel: str, webp: bytes) -> str:
        if self.site is None:
            self._links[rel] = "data:image/webp;base64," + base64.b64encode(webp).decode("ascii")
            return self._links[rel]
        atomic.write_bytes(self.site / rel, webp)
        return self._published(rel)


def _original(sha: str, recorded: str | None) -> bytes | None:
    """The image's bytes, from where the run recorded it or from the content-addressed media cache."""
    candidates = ([paths.local(recorded)] if recorded else []) + [paths.cache_dir() / "media" / sha[:2] / sha]
    for path in candidates:
        if isinstance(path, Path) and path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == sha:
                return data
    return None
