"""Media fields: a dataset's images become ImageRefs (content hash + local file) in the data layer,
from the original folder layout, bytes, HF Image features or PIL images; hooks see only ImageRefs."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from claimbench.harness import evaluate
from claimbench.harness.data import DatasetConfig, load
from claimbench.harness.errors import DataError
from claimbench.harness.requests import AnswerImageQuestion, ImageRef
from claimbench.harness.task import TaskHooks

Image = pytest.importorskip("PIL.Image")


class ImageQuestionHooks(TaskHooks):
    """Asks each row's question about its image; a hook that never sees a path or a PIL object."""

    kinds = frozenset({"answer_image_question"})

    def requests(self, row, history):
        assert isinstance(row["image"], ImageRef)
        return [] if history else [AnswerImageQuestion(row["image"], row["question"])]

    def process(self, row, history):
        return {"prediction": history[0][1], "references": [row["answer"]]}


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def folder_dataset(root: Path, n: int = 3) -> Path:
    """The original layout: a JSON-lines annotation file beside an image folder, paths relative to it."""
    (root / "images").mkdir(parents=True)
    lines = []
    for i in range(n):
        data = png(i)
        (root / "images" / f"{i}.png").write_bytes(data)
        # the scripted model answers an image question with the image's sha256[:8]
        lines.append({"id": f"q{i}", "image": f"images/{i}.png", "question": "what is it?",
                      "answer": hashlib.sha256(data).hexdigest()[:8]})
    (root / "qa.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root / "qa.jsonl"


def image_task(tmp_path: Path, name: str, hooks: str, metric: str) -> Path:
    """A task YAML over folder_dataset's images, declared as a media field."""
    rows_file = folder_dataset(tmp_path / "data")
    task = tmp_path / f"{name}.yaml"
    task.write_text(f"task: {name}\nversion: '1'\nhooks: test_media:{hooks}\n"
                    f"dataset:\n  name: {name}\n  path: {rows_file}\n  media: {{image: image}}\n"
                    f"metrics: [{metric!r}]\n")
    return task


def test_folder_layout_images_become_refs_and_join_the_fingerprint(tmp_path):
    rows_file = folder_dataset(tmp_path)
    cfg = DatasetConfig(name="vqa", path=str(rows_file), media={"image": "image"})
    data = load(cfg)
    ref = data.rows[0]["image"]
    assert ref == ImageRef(hashlib.sha256((tmp_path / "images" / "0.png").read_bytes()).hexdigest())
    assert Path(ref.path).is_file()
    (tmp_path / "images" / "2.png").write_bytes(png(99))  # same annotations, another image
    assert load(cfg).fingerprint != data.fingerprint


def test_bytes_hf_features_and_pil_images_resolve_to_the_same_kind_of_ref(tmp_path):
    from claimbench.harness.media import resolve_image

    data = png(5)
    digest = hashlib.sha256(data).hexdigest()
    for value in (data, {"bytes": data, "path": None}):
        ref = resolve_image(value, None, "test")
        assert ref.sha256 == digest and Path(ref.path).read_bytes() == data
    decoded = Image.open(io.BytesIO(data))
    assert Path(resolve_image(decoded, None, "test").path).is_file()  # re-encoded as PNG, cached by its own hash


def test_bad_image_fields_name_row_field_and_place(tmp_path):
    rows_file = folder_dataset(tmp_path)
    (tmp_path / "images" / "1.png").unlink()
    with pytest.raises(DataError, match=r"row 1, field 'image': image 'images/1.png' is not a file"):
        load(DatasetConfig(name="vqa", path=str(rows_file), media={"image": "image"}))
    with pytest.raises(DataError, match="known kinds: image"):
        load(DatasetConfig(name="vqa", path=str(rows_file), media={"image": "video"}))


def test_image_task_runs_end_to_end_and_logs_refs(tmp_path):
    task = image_task(tmp_path, "tiny_vqa", "ImageQuestionHooks", "exact_match")
    [r] = evaluate("scripted", [str(task)], output=tmp_path / "out", cache=":memory:")
    assert r.metrics["exact_match"]["value"] == 1.0  # every answer is its own image's hash: refs match the files
    line = json.loads(next((tmp_path / "out").rglob("samples.jsonl")).read_text().splitlines()[0])
    assert set(line["row"]["image"]) == {"sha256", "path"}
    assert line["requests"][0]["request"]["image"] == {"sha256": line["row"]["image"]["sha256"]}


class EmbedHooks(TaskHooks):
    """One embedding per image; the sample's field keeps its length only."""

    kinds = frozenset({"embed_image"})

    def requests(self, row, history):
        from claimbench.harness.requests import EmbedImage

        return [] if history else [EmbedImage(row["image"])]

    def process(self, row, history):
        return {"prediction": "", "references": [""], "fields": {"dim": len(history[0][1])}}


def test_large_responses_are_stored_beside_the_log_and_resume_unchanged(tmp_path):
    from claimbench.harness import results
    from claimbench.harness.errors import ConfigError
    from claimbench.harness.large_responses import FILENAME, restore

    task = image_task(tmp_path, "tiny_embed", "EmbedHooks", "mean:field=dim,unit=number")
    cache = tmp_path / "c.sqlite"
    evaluate("scripted:embed_dim=512", [str(task)], output=tmp_path / "out", cache=cache)
    folder = next((tmp_path / "out").iterdir())
    lines = [json.loads(x) for x in (folder / "samples.jsonl").read_text().splitlines()]
    ref = lines[0]["requests"][0]["response"]
    assert ref["$array"] and ref["shape"] == [512]  # not 512 numbers inline
    assert (folder / "samples.jsonl").stat().st_size < 4000
    full = restore(lines[0], folder)["requests"][0]["response"]
    from claimbench.harness.cache import Cache

    with Cache(cache) as c:
        assert full in list(c.get_many(list(c.keys())).values())  # the log's array is the cached response
    before = results.read(folder).samples
    assert before["arrays"]["count"] == 3
    [again] = evaluate("scripted:embed_dim=512", [str(task)], output=tmp_path / "out", cache=cache)
    assert again.counts["requests"]["new"] == 0 and results.read(folder).samples == before  # resumed: same files
    (folder / FILENAME).unlink()
    with pytest.raises(ConfigError, match="arrays.npz.*missing"):
        results.read(folder)
