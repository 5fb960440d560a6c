"""The five face-verification tasks read every layout (the releases' folders and pair lists, and
InsightFace's .bin files) into the same pairs; .bin files never run code; each image is embedded
once however many pairs use it, and embeddings are stored by reference."""
from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from claimbench.harness import evaluate
from claimbench.harness.errors import DataError
from claimbench.tasks.face_verification import synthetic
from claimbench.tasks.face_verification.binfile import load_bin

pytest.importorskip("PIL.Image")
pytest.importorskip("sklearn")

LAYOUT = {"lfw": "pairs.txt", "cfp_fp": "Protocol/Pair_list_F.txt", "agedb_30": "agedb_30_pairs.txt",
          "calfw": "pairs_CALFW.txt", "cplfw": "pairs_CPLFW.txt"}


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("faces")
    return root, synthetic.write(root, identities=12, pairs_per_fold=3, folds=10, seed=0)


@pytest.fixture(autouse=True)
def _data(sets, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_DATA", str(sets[0]))


def samples(result_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (result_dir / "samples.jsonl").read_text().splitlines()]


def run(task: str, tmp_path: Path, name: str):
    [result] = evaluate("scripted", [task], cache=str(tmp_path / f"{name}.sqlite"), output=str(tmp_path / name))
    return result


@pytest.mark.parametrize("task", sorted(LAYOUT))
def test_folder_layout_and_bin_give_the_same_pairs_and_scores(task, sets, tmp_path):
    root, chosen = sets
    folder = run(task, tmp_path, "folder")
    binned = run(f"{task}:bin={root / f'{task}.bin'}", tmp_path, "bin")
    assert folder.metrics.keys() == binned.metrics.keys() >= {
        "verification_accuracy", "tar_at_far:far=0.001", "tar_at_far:far=0.0001", "roc_auc", "eer"}
    for name in folder.metrics:
        assert folder.metrics[name]["value"] == binned.metrics[name]["value"], name
    a, b = samples(tmp_path / "folder" / task), samples(tmp_path / "bin" / next((tmp_path / "bin").iterdir()).name)
    assert [s["fields"]["same"] for s in a] == [s["fields"]["same"] for s in b] == [same for *_, same in chosen]
    images = lambda ss: [(s["row"]["image1"]["sha256"], s["row"]["image2"]["sha256"]) for s in ss]  # noqa: E731
    assert images(a) == images(b)  # the same image bytes, pair by pair
    assert folder.metrics["verification_accuracy"]["n"] == len(chosen) == 60


def test_each_image_is_embedded_once_however_many_pairs_use_it(sets, tmp_path):
    root, chosen = sets
    served = tmp_path / "served.jsonl"
    evaluate(f"scripted:log={served}", ["lfw"], cache=":memory:", output=str(tmp_path / "run"))
    unique = {x for first, second, _ in chosen for x in (first, second)}
    assert len(unique) < 2 * len(chosen)  # images repeat across pairs in this set
    assert len(served.read_text().splitlines()) == 2 * len(unique)  # each image and its flip, once
    assert all(len(s["requests"]) == 4 for s in samples(tmp_path / "run" / "lfw"))


def test_flip_off_asks_two_embeddings_and_cosine_orders_pairs_like_squared_l2(sets, tmp_path):
    plain, cosine, l2 = evaluate("scripted", ["lfw:flip=false", "lfw:distance=cosine", "lfw"], cache=":memory:",
                                 output=str(tmp_path))
    folders = {p.name: p for p in tmp_path.iterdir()}
    flip_off = next(p for name, p in folders.items() if "flip" in name)
    assert all(len(s["requests"]) == 2 for s in samples(flip_off))
    assert cosine.metrics["roc_auc"]["value"] == pytest.approx(l2.metrics["roc_auc"]["value"])  # 2 - 2cos: same order


def test_large_embeddings_are_stored_by_reference_once_per_image(sets, tmp_path):
    root, chosen = sets
    evaluate("scripted:embed_dim=128", ["lfw"], cache=":memory:", output=str(tmp_path))
    folder = next(tmp_path.iterdir())
    unique = {x for first, second, _ in chosen for x in (first, second)}
    with np.load(folder / "arrays.npz") as z:
        assert len(z.files) == 2 * len(unique)  # one entry per distinct embedding, not one per pair
    line = (folder / "samples.jsonl").read_text().splitlines()[0]
    assert '"$array"' in line and len(line) < 4000


class Payload:
    """What a crafted .bin would unpickle into: a call of os.system."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("make", ["os.system", "builtins.exec", "nested in the image list"])
def test_a_bin_whose_pickle_would_run_code_is_refused_and_the_code_does_not_run(make, tmp_path):
    marker = tmp_path / "pwned"
    if make == "os.system":
        payload = Payload(marker)
    elif make == "builtins.exec":
        class Exec:
            def __reduce__(self):
                return (exec, (f"open({str(marker)!r}, 'w').close()",))
        payload = Exec()
    else:
        payload = ([b"\xff\xd8", Payload(marker)], [True])
    crafted = tmp_path / "lfw.bin"
    crafted.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(DataError, match="refused to load"):
        load_bin(crafted)
    res = run_cli("run", "--model", "scripted", "--tasks", f"lfw:bin={crafted}", "--output", str(tmp_path / "out"),
                  "--cache", ":memory:")
    assert res.returncode == 2, res.stderr
    assert "refused to load" in res.stderr and str(crafted) in res.stderr and "Traceback" not in res.stderr
    assert not marker.exists()


@pytest.mark.parametrize("opcode", [b"\x8e" + struct.pack("<Q", 2**62), b"B" + struct.pack("<I", 2**31 - 1)],
                         ids=["bytes8 of 2**62", "bytes of 2**31"])
def test_a_bin_claiming_a_huge_length_is_a_clear_error(opcode, tmp_path):
    crafted = tmp_path / "lfw.bin"
    crafted.write_bytes(b"\x80\x04" + opcode + b"abc")
    with pytest.raises(DataError, match="lfw.bin: not"):
        load_bin(crafted)
    res = run_cli("run", "--model", "scripted", "--tasks", f"lfw:bin={crafted}", "--output", str(tmp_path / "out"),
                  "--cache", ":memory:")
    assert res.returncode == 2 and "Traceback" not in res.stderr and str(crafted) in res.stderr, res.stderr


def test_bins_written_by_python2_style_pickles_and_numpy_arrays_load(tmp_path):
    images = [np.frombuffer(b"\xff\xd8jpeg-a", dtype=np.uint8), b"\xff\xd8jpeg-b"]
    for protocol in (2, 4):
        path = tmp_path / f"p{protocol}.bin"
        path.write_bytes(pickle.dumps((images, np.array([True])), protocol=protocol))
        assert load_bin(path) == ([b"\xff\xd8jpeg-a", b"\xff\xd8jpeg-b"], [True])


@pytest.mark.parametrize("content,says", [
    (pickle.dumps(([b"a", b"b", b"c"], [True])), "3 images for 1 pairs"),
    (pickle.dumps(([b"a", b"b"], ["yes"])), "not true/false"),
    (pickle.dumps({"images": []}), "expected a pickled"),
    (b"not a pickle at all", "not an InsightFace verification .bin"),
])
def test_malformed_bins_name_the_problem(content, says, tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(content)
    with pytest.raises(DataError, match=says):
        load_bin(path)


def test_missing_data_names_the_files_and_the_bin_option(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_DATA", str(tmp_path / "empty"))
    for task, file in LAYOUT.items():
        with pytest.raises(DataError) as e:
            evaluate("scripted", [task], cache=":memory:", output=str(tmp_path / "out"))
        assert file in str(e.value) and f"{task}:bin=" in str(e.value)


@pytest.mark.parametrize("text,says", [
    ("10\t300\nGeorge_W_Bush\t10\n", "line 2"),
    ("Person_000 1 2\n", "line 1"),
])
def test_bad_pairs_lines_are_named(text, says, tmp_path):
    (tmp_path / "pairs.txt").write_text(text)
    fmt = "lfw_pairs" if text.startswith("10") else "pairs_list"
    with pytest.raises(DataError, match=says):
        evaluate("scripted", [f"lfw:path={tmp_path / 'pairs.txt'},dataset.format={fmt}"], cache=":memory:",
                 output=str(tmp_path / "out"))


def test_consecutive_pairs_with_disagreeing_labels_are_refused(tmp_path):
    (tmp_path / "pairs_CALFW.txt").write_text("a.jpg 1\nb.jpg 0\n")
    with pytest.raises(DataError, match="same label"):
        evaluate("scripted", [f"calfw:path={tmp_path / 'pairs_CALFW.txt'}"], cache=":memory:", output=str(tmp_path / "o"))


def pooling_embedder(path: Path) -> Path:
    """A real ONNX model the test builds: 14x14 average pooling of the 112x112 input, flattened
    (192 numbers), which tells the project-made identities apart as an embedder should."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("AveragePool", ["x"], ["p"], kernel_shape=[14, 14], strides=[14, 14]),
         helper.make_node("Flatten", ["p"], ["y"], axis=1)],
        "pool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 112, 112])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 192])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_a_real_embedder_separates_the_identities_in_both_formats(sets, tmp_path):
    pytest.importorskip("onnxruntime")
    root, chosen = sets
    model = f"onnx:path={pooling_embedder(tmp_path / 'pool.onnx')}"
    folder, binned = evaluate(model, ["cplfw", f"cplfw:bin={root / 'cplfw.bin'}"], cache=":memory:", output=str(tmp_path / "o"))
    for r in (folder, binned):
        assert r.metrics["verification_accuracy"]["value"] >= 0.95
        assert r.metrics["roc_auc"]["value"] > 0.99
        assert r.metrics["eer"]["value"] < 0.05
    assert folder.metrics["verification_accuracy"] == binned.metrics["verification_accuracy"]
    with np.load(next((tmp_path / "o").glob("cplfw_bin*")) / "arrays.npz") as z:
        unique = {x for first, second, _ in chosen for x in (first, second)}
        assert len(z.files) == 2 * len(unique)  # 192-d embeddings by reference, once per image and flip
