"""examples/train_fashion_unet.py resumes from its checkpoint, which it reads with
`weights_only=True` (tensors and plain values only, so a crafted checkpoint cannot run code)."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

pytest.importorskip("diffusers")


def test_training_resumes_from_a_checkpoint_loaded_weights_only(tmp_path):
    images = tmp_path / "images.npy"
    np.save(images, np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8))
    cmd = [sys.executable, str(REPO / "examples" / "train_fashion_unet.py"), "--images", str(images),
           "--out", str(tmp_path / "out"), "--minutes", "0.001", "--batch-size", "2", "--threads", "1"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert (tmp_path / "out" / "checkpoint.pt").is_file()
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert re.search(r"resumed at step [1-9]\d*", second.stdout), second.stdout  # a fast machine may train more than one
    assert (tmp_path / "out" / "pipeline" / "model_index.json").is_file()


def test_a_step_count_stops_training_there_and_resumes_to_it(tmp_path):
    images = tmp_path / "images.npy"
    np.save(images, np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8))

    def train(out: str, steps: int) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(REPO / "examples" / "train_fashion_unet.py"), "--images", str(images),
               "--out", str(tmp_path / out), "--steps", str(steps), "--batch-size", "2", "--threads", "1", "--checkpoint-every", "2"]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    assert "trained 3 steps" in train("a", 3).stdout
    resumed = train("a", 5)
    assert "resumed at step 3" in resumed.stdout and "trained 5 steps" in resumed.stdout
    assert "trained 5 steps" in train("b", 5).stdout
    weights = "pipeline/unet/diffusion_pytorch_model.safetensors"
    assert (tmp_path / "a" / weights).is_file() and (tmp_path / "b" / weights).is_file()
