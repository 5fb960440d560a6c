"""The project-made chart and document QA sets: byte-identical reruns, prefixes of longer runs,
ChartQA's and DocVQA's file layouts read by the real data layer, gold answers that match what
is drawn, and the CLI."""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from claimbench.harness.data import DatasetConfig, load
from claimbench.harness.requests import ImageRef
from claimbench.tasks.docqa.generators import chart_questions, chart_specs, document_items, document_layouts
from claimbench.tasks.docqa.synthetic import write_charts, write_documents

REPO = Path(__file__).resolve().parents[1]
N_CHARTS, N_DOCS = 12, 8
ITEMS = range(90)  # pure specs (nothing drawn) checked for their answers


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(out folder, chart annotations, document annotations) of one small run."""
    out = tmp_path_factory.mktemp("synth")
    return out, write_charts(out, N_CHARTS), write_documents(out, N_DOCS)


def test_rerun_is_byte_identical_and_a_shorter_run_is_a_prefix(written, tmp_path):
    out, chart_json, doc_json = written
    again = tmp_path / "again"
    write_charts(again, N_CHARTS), write_documents(again, N_DOCS)
    assert _hashes(again) == _hashes(out)
    assert not [p for p in out.rglob(".*.tmp")]  # atomic writes left no temp files

    short = tmp_path / "short"
    short_charts, short_docs = write_charts(short, 5), write_documents(short, 3)
    chart_rows = json.loads(short_charts.read_text())
    assert chart_rows == [r for r in json.loads(chart_json.read_text()) if r["imgname"] <= "chart_00005.png"]
    doc_rows = json.loads(short_docs.read_text())["data"]
    assert doc_rows == [r for r in json.loads(doc_json.read_text())["data"] if r["docId"] <= 3]
    full = _hashes(out)
    assert all(full[name] == digest for name, digest in _hashes(short).items() if name.endswith(".png"))


def test_chart_file_has_chartqa_keys_and_every_image(written):
    out, chart_json, _ = written
    assert chart_json == out / "claimbench_charts" / "test" / "test_synthetic.json"
    rows = json.loads(chart_json.read_text())
    assert isinstance(rows, list) and len(rows) == 2 * N_CHARTS
    assert all(set(r) == {"imgname", "query", "label", "question_type", "chart_type"} for r in rows)
    assert all((chart_json.parent / "png" / r["imgname"]).is_file() for r in rows)
    assert all(r["query"] and r["label"] for r in rows)
    assert len({(r["imgname"], r["query"]) for r in rows}) == len(rows)
    assert {r["question_type"] for r in rows} == set(chart_questions.QUESTION_TYPES)
    assert {r["chart_type"] for r in rows} <= set(chart_specs.CHART_TYPES)


def test_document_file_has_docvqa_layout(written):
    out, _, doc_json = written
    assert doc_json == out / "claimbench_docs" / "val" / "val_v1.0.json"
    payload = json.loads(doc_json.read_text())
    assert set(payload) == {"dataset_name", "dataset_split", "dataset_version", "data"}
    rows = payload["data"]
    assert {r["docId"] for r in rows} == set(range(1, N_DOCS + 1))
    assert all(set(r) == {"questionId", "question", "question_types", "image", "docId", "answers"} for r in rows)
    assert all((doc_json.parent / r["image"]).is_file() and r["image"].startswith("documents/") for r in rows)
    assert all(r["answers"] and all(a.strip() for a in r["answers"]) for r in rows)
    assert len({r["questionId"] for r in rows}) == len(rows)
    assert len({(r["image"], r["question"]) for r in rows}) == len(rows)
    assert {t for r in rows for t in r["question_types"]} == set(document_items.QUESTION_TYPES)


def test_the_data_layer_reads_both_sets(written):
    _, chart_json, doc_json = written
    chart_rows = load(DatasetConfig(name="claimbench_charts", path=str(chart_json), format="json",
                                    media={"imgname": "image"}, media_root="png")).rows
    doc_rows = load(DatasetConfig(name="claimbench_docs", path=str(doc_json), format="json", records="data",
                                  media={"image": "image"})).rows
    assert len(chart_rows) == 2 * N_CHARTS and 2 * N_DOCS <= len(doc_rows) <= 3 * N_DOCS
    for row, field in [*((r, "imgname") for r in chart_rows), *((r, "image") for r in doc_rows)]:
        assert isinstance(row[field], ImageRef) and Path(row[field].path).is_file()


def _named(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def test_value_labels_are_the_drawn_numbers():
    checked = 0
    for i in ITEMS:
        item = chart_questions.chart_item(0, i)
        spec = item.spec
        for q in item.questions:
            if q.question_type != "value":
                continue
            cells = [(s, c) for s in range(len(spec.values)) for c, name in enumerate(spec.categories)
                     if _named(q.query, name) and (not spec.series or _named(q.query, spec.series[s]))]
            assert len(cells) == 1, q
            s, c = cells[0]
            assert q.label == spec.text(s, c) and Decimal(q.label) == Decimal(str(spec.values[s][c]))
            checked += 1
    assert checked >= 20


def test_numeric_questions_only_on_charts_that_print_numbers():
    for i in ITEMS:
        item = chart_questions.chart_item(0, i)
        if item.spec.data_labels:
            continue
        assert {q.question_type for q in item.questions} <= {"compare", "extreme", "count"}
        values = sorted(item.spec.values[0])
        assert min(b - a for a, b in zip(values, values[1:])) >= 0.05 * values[-1]  # no two marks look alike


def test_unlabeled_value_grids_are_wide_enough_for_every_theme():
    for theme in chart_specs.THEMES:
        if not theme.share:
            unit = 10 ** theme.decimals
            step = math.ceil(chart_specs._MIN_SPREAD * theme.hi * unit)
            assert (theme.hi - theme.lo) * unit // step + 1 >= 9, theme.title  # the most categories a chart has


def test_arithmetic_and_pies_add_up():
    for i in ITEMS:
        item = chart_questions.chart_item(0, i)
        spec = item.spec
        if spec.chart_type == "pie":
            assert sum(Decimal(spec.text(0, c)) for c in range(len(spec.categories))) == 100
        for q in item.questions:
            if q.question_type == "arithmetic" and q.query.startswith("What is the sum"):
                named = [c for c, name in enumerate(spec.categories) if _named(q.query, name)]
                s = next((s for s, name in enumerate(spec.series) if _named(q.query, name)), 0)
                assert Decimal(q.label) == sum(Decimal(spec.text(s, c)) for c in named)


def test_document_answers_are_printed_on_the_page():
    kinds = set()
    for i in ITEMS:
        doc = document_layouts.document(0, i)
        kinds.add(doc.kind)
        assert 2 <= len(doc.questions) <= 3 and len({q.question for q in doc.questions}) == len(doc.questions)
        text = doc.text()
        for q in doc.questions:
            assert q.answers[0] in text, (doc.kind, q)
            assert set(q.question_types) <= set(document_items.QUESTION_TYPES)
        sizes = [item.size for item in doc.items if isinstance(item, document_items.Text)]
        assert min(sizes) >= 18
    assert kinds == set(document_layouts.KINDS)


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "claimbench.tasks.docqa.synthetic", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_cli_writes_where_the_data_layer_looks(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    res = _cli("--charts", "2", "--documents", "2", env={"CLAIMBENCH_CACHE_DIR": str(cache)})
    assert res.returncode == 0, res.stderr
    assert "2 images" in res.stdout and "done in" in res.stdout
    monkeypatch.setenv("CLAIMBENCH_CACHE_DIR", str(cache))
    monkeypatch.delenv("CLAIMBENCH_DATA", raising=False)
    rows = load(DatasetConfig(name="claimbench_docs", file="val/val_v1.0.json", records="data", media={"image": "image"})).rows
    assert rows and all(Path(r["image"].path).is_file() for r in rows)
    assert len(load(DatasetConfig(name="claimbench_charts", file="test/test_synthetic.json")).rows) == 4


def test_cli_with_out_and_seed(tmp_path):
    res = _cli("--out", str(tmp_path), "--charts", "1", "--documents", "1", "--seed", "7")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "claimbench_charts" / "test" / "png" / "chart_00001.png").is_file()
    assert (tmp_path / "claimbench_docs" / "val" / "documents" / "doc_00001.png").is_file()


@pytest.mark.parametrize("args, message", [(["--charts", "0"], "at least 1"), (["--documents", "x"], "expected an integer"),
                                           (["--seed", "-1"], "at least 0")])
def test_cli_rejects_bad_counts(tmp_path, args, message):
    res = _cli("--out", str(tmp_path), *args)
    assert res.returncode != 0 and message in res.stderr
    assert not (tmp_path / "claimbench_charts").exists()


def test_write_functions_reject_non_positive_counts(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        write_charts(tmp_path, 0)
    with pytest.raises(ValueError, match="positive"):
        write_documents(tmp_path, -1)
