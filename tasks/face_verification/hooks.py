"""One pair per row: embed both images (and their mirror images), then the pair's distance.

InsightFace's protocol: each image's embedding plus its horizontal flip's, summed and
L2-normalised (`flip: false` embeds the image alone); the distance is the squared L2 distance
of the two unit vectors (0..4; `distance: cosine` gives 1 - cosine similarity, 0..2, which
orders pairs the same way). An image used by many pairs is one request: requests are keyed by
the image's content, so the dispatcher embeds it once.
"""
from __future__ import annotations

import numpy as np

from claimbench.harness.errors import ConfigError
from claimbench.harness.options import convert
from claimbench.harness.requests import EmbedImage
from claimbench.harness.task import History, TaskHooks, Unscorable

DISTANCES = ("squared_l2", "cosine")


class PairVerification(TaskHooks):
    """EmbedImage of image1 and image2 (and their flips); fields `distance` and `same` for the pair metrics."""

    kinds = frozenset({"embed_image"})
    param_types = {"flip": bool, "distance": str}
    kinds_help = "an image embedder: dlib-face, onnx:path=MODEL.onnx or torch-module:path=MODEL.pt"

    def __init__(self, config):
        super().__init__(config)
        where = f"task {config.task!r} option"
        self.flip = convert(config.params.get("flip", True), bool, f"{where} flip")
        self.distance = str(config.params.get("distance", "squared_l2"))
        if self.distance not in DISTANCES:
            raise ConfigError(f"{where} distance must be one of {', '.join(DISTANCES)}, got {self.distance!r}.")

    def requests(self, row: dict, history: History) -> list:
        if history:
            return []
        views = (False, True) if self.flip else (False,)
        return [EmbedImage(row[name], flip) for name in ("image1", "image2") for flip in views]

    def process(self, row: dict, history: History) -> dict:
        per_image = len(history) // 2
        a, b = _unit(history[:per_image]), _unit(history[per_image:])
        if a.shape != b.shape:
            raise Unscorable(f"the two embeddings differ in size ({a.size} vs {b.size})")
        dist = float(np.sum((a - b) ** 2)) if self.distance == "squared_l2" else float(1 - a @ b)
        return {"prediction": round(dist, 6), "references": [row["same"]],
                "fields": {"distance": dist, "same": bool(row["same"])}}


def _unit(responses: History) -> np.ndarray:
    """The sum of an image's embeddings (itself, its flip), L2-normalised."""
    total = np.sum([np.asarray(resp, dtype=np.float64) for _, resp in responses], axis=0)
    norm = np.linalg.norm(total)
    if not norm > 0:
        raise Unscorable("an embedding has zero norm and cannot be normalised")
    return total / norm
