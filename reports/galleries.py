"""Image grids on a run's report: the first images a generator made, beside the first images of
the reference set its metrics compared them with (FID, KID), so a reader sees what the number
is about. A reference image is named by the set's fingerprint and its index, so it is drawn only from
files holding the very images the run measured, and once published stands in where they are not."""
from __future__ import annotations

import functools

from claimbench.harness import image_sources
from claimbench.harness.errors import DataError
from claimbench.harness.results import RunResult

from .media import Thumbnails, sample_images

SHOWN = 36


def build(result: RunResult, rows: list[dict], thumbs: Thumbnails) -> list[dict]:
    """[{"title", "images": [src], "note": why none are shown}]: the generated images, then each reference set."""
    made = [ref for s in rows for ref in sample_images(s)[1]][:SHOWN]
    if not made:
        return []
    srcs = [src for src in (thumbs.of_file(sha, p) for sha, p in made) if src]
    out = [{"title": f"Generated images (first {len(srcs)})", "images": srcs,
            "note": "" if srcs else "the images are not on the machine that built this page, nor published before"}]
    references = {m["extra"]["reference"]["source"]: m["extra"]["reference"].get("fingerprint")
                  for m in result.metrics.values() if isinstance((m.get("extra") or {}).get("reference"), dict)
                  and "source" in m["extra"]["reference"]}
    for source, fingerprint in references.items():
        images, why = _reference(source, fingerprint)
        n = 0 if not fingerprint else SHOWN if images is None else min(SHOWN, len(images))
        srcs = [thumbs.of_array(None if images is None else images[i], f"{fingerprint}#{i}") for i in range(n)]
        shown = [s for s in srcs if s]
        out.append({"title": f"Reference images: {source} (first {len(shown)})", "images": shown,
                    "note": why if not shown else ""})
    return out


@functools.lru_cache(maxsize=8)
def _loaded(source: str) -> image_sources.ImageSet:
    return image_sources.load_images(source)


def _reference(source: str, fingerprint: str | None) -> tuple[object, str]:
    """The images of a reference set (None when not at hand, and why: published thumbnails named by
    the set's fingerprint may still stand in). A report never downloads, so a hub set is not read."""
    if source.startswith("hf:"):
        return None, "a hub dataset; not fetched to draw a report"
    try:
        found = _loaded(source)
    except (DataError, OSError) as e:
        return None, f"not on the machine that built this page ({e})"
    if fingerprint and found.fingerprint != fingerprint:
        return None, "the files here differ from those the run measured (fingerprint), so they are not shown"
    return found.images[:SHOWN], ""
