"""The docvqa and chartqa tasks read both public forms of their data, the original folder layouts
(json annotations beside an image folder) and the hub's (parquet with Image features), through
one hook; scores break down per question type (DocVQA) and per half (ChartQA)."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from claimbench.harness import evaluate
from claimbench.harness.errors import ConfigError, DataError

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CLAIMBENCH_DATA", str(tmp_path / "no-data-here"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (6, 6, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def short(data: bytes) -> str:
    """What the scripted adapter answers about an image: its sha256[:8]."""
    return hashlib.sha256(data).hexdigest()[:8]


def chartqa_folder(root: Path) -> Path:
    """ChartQA's layout: test/test_human.json + test/test_augmented.json, images in test/png/.
    The scripted model is right on every human question and on one augmented question of two."""
    test = root / "test"
    (test / "png").mkdir(parents=True)
    for half, seeds in (("human", (1, 2)), ("augmented", (3, 4))):
        rows = []
        for s in seeds:
            (test / "png" / f"{s}.png").write_bytes(png(s))
            label = short(png(s)) if half == "human" or s == 3 else "42"
            rows.append({"imgname": f"{s}.png", "query": f"what is in chart {s}?", "label": label})
        (test / f"test_{half}.json").write_text(json.dumps(rows))
    return test / "test_human.json"


def metric(result, name: str) -> dict:
    return result.metrics[name]


def test_chartqa_folder_layout_reads_both_halves_and_breaks_down_by_half(tmp_path):
    first = chartqa_folder(tmp_path / "chartqa")
    [both] = evaluate("scripted", [f"chartqa:path={first}"], cache=":memory:")
    ra = metric(both, "relaxed_accuracy")
    assert ra["value"] == pytest.approx(0.75) and ra["n"] == 4
    groups = ra["extra"]["groups"]
    assert {k: (g["value"], g["n"]) for k, g in groups.items()} == {"human": (1.0, 2), "augmented": (0.5, 2)}
    assert ra["metadata"]["views"][0]["kind"] == "bars"
    assert "relaxed_accuracy:variant=fixed" in both.metrics
    [human] = evaluate("scripted", [f"chartqa_human:path={first}"], cache=":memory:")
    assert metric(human, "relaxed_accuracy")["value"] == 1.0 and metric(human, "relaxed_accuracy")["n"] == 2


def test_chartqa_hub_layout_gives_the_same_scores(tmp_path):
    """The hub copy (HuggingFaceM4/ChartQA's columns: image, query, label as a list,
    human_or_machine as a ClassLabel), read with `datasets` from a local parquet folder."""
    datasets = pytest.importorskip("datasets")
    chartqa_folder(tmp_path / "chartqa")
    rows = {"image": [], "query": [], "label": [], "human_or_machine": []}
    for half, code in (("human", 0), ("augmented", 1)):
        for r in json.loads((tmp_path / "chartqa" / "test" / f"test_{half}.json").read_text()):
            rows["image"].append({"bytes": (tmp_path / "chartqa" / "test" / "png" / r["imgname"]).read_bytes(), "path": None})
            rows["query"].append(r["query"])
            rows["label"].append([r["label"]])
            rows["human_or_machine"].append(code)
    features = datasets.Features({"image": datasets.Image(), "query": datasets.Value("string"),
                                  "label": datasets.Sequence(datasets.Value("string")),
                                  "human_or_machine": datasets.ClassLabel(names=["human", "machine"])})
    hub = tmp_path / "hub"
    (hub / "data").mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(hub / "data" / "test-00000-of-00001.parquet"))
    [both] = evaluate("scripted", [f"chartqa:dataset.hf={hub}"], cache=":memory:")
    ra = metric(both, "relaxed_accuracy")
    assert ra["value"] == pytest.approx(0.75)
    assert {k: g["n"] for k, g in ra["extra"]["groups"].items()} == {"human": 2, "augmented": 2}
    [aug] = evaluate("scripted", [f"chartqa_augmented:dataset.hf={hub}"], cache=":memory:")
    assert metric(aug, "relaxed_accuracy")["value"] == 0.5 and metric(aug, "relaxed_accuracy")["n"] == 2


def test_docvqa_layout_scores_each_question_type(tmp_path):
    """DocVQA's layout (val_v1.0.json's `data` beside documents/); a question with two types
    counts in both, as DocVQA's per-type table counts it."""
    (tmp_path / "documents").mkdir()
    data = []
    for i in range(3):
        (tmp_path / "documents" / f"{i}.png").write_bytes(png(10 + i))
        gold = short(png(10 + i)) if i < 2 else "nope"
        data.append({"questionId": 100 + i, "question": "q?", "question_types": [["form"], ["form", "table/list"], ["layout"]][i],
                     "image": f"documents/{i}.png", "docId": i, "answers": [gold, "other"]})
    ann = tmp_path / "val_v1.0.json"
    ann.write_text(json.dumps({"dataset_name": "docvqa", "dataset_split": "val", "data": data}))
    [r] = evaluate("scripted", [f"docvqa:path={ann}"], cache=":memory:")
    assert metric(r, "anls")["value"] == pytest.approx(2 / 3)
    groups = {k: (g["value"], g["n"]) for k, g in metric(r, "anls")["extra"]["groups"].items()}
    assert groups == {"form": (1.0, 2), "table/list": (1.0, 1), "layout": (0.0, 1)}
    assert "anls:variant=pix2struct" in r.metrics


def test_missing_data_names_files_places_and_how_to_get_them(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError) as e:
        evaluate("scripted", ["chartqa"], cache=":memory:")
    text = str(e.value)
    assert "chartqa/test/test_human.json" in text and "test_augmented.json" in text and "vis-nlp/ChartQA" in text
    with pytest.raises(DataError, match="python -m claimbench.tasks.docqa.synthetic"):
        evaluate("scripted", ["synthetic_docvqa"], cache=":memory:")


def test_extra_file_missing_and_duplicate_metric_names_are_refused(tmp_path):
    first = chartqa_folder(tmp_path / "chartqa")
    (first.parent / "test_augmented.json").unlink()
    with pytest.raises(DataError, match="test_augmented.json.*extra_files"):
        evaluate("scripted", [f"chartqa:path={first}"], cache=":memory:")
    task = tmp_path / "twice.yaml"
    task.write_text(f"include: {Path(__file__).parents[1] / 'tasks/docqa/docvqa.yaml'}\n"
                    "task: twice\nmetrics: [anls, 'anls:by=question_type']\n")
    with pytest.raises(ConfigError, match="two metrics report as 'anls'"):
        evaluate("scripted", [str(task)], cache=":memory:")
