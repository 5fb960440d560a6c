"""Rescoring replays a run's recorded responses through today's task and metrics: no model, the
same numbers where nothing changed, a clear refusal where the prompts did."""
from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import COMMITTED_RESULTS, run_cli

from claimbench.harness import results
from claimbench.harness.errors import ConfigError
from claimbench.harness.rescore import rescore
from claimbench.harness.safe_paths import folder_name

BAMBOOGLE = COMMITTED_RESULTS / "bamboogle" / "smollm2-135m"
DOCVQA = COMMITTED_RESULTS / "synthetic_docvqa" / "ocr-baseline"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _rewrite_log(folder: Path, edit) -> None:
    """Apply `edit` to every logged sample and rewrite results.json's record of the log."""
    path = folder / "samples.jsonl.gz"
    rows = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    for row in rows:
        edit(row)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    path.write_bytes(gzip.compress(text.encode()))
    data = json.loads((folder / "results.json").read_text())
    data["samples"]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (folder / "results.json").write_text(json.dumps(data))


@pytest.mark.parametrize("run", [BAMBOOGLE, DOCVQA], ids=["bamboogle", "synthetic_docvqa"])
def test_rescoring_a_committed_run_reproduces_it_without_the_model(run, tmp_path):
    old = results.read(run)
    new, written = rescore(run, tmp_path)
    assert {k: v["value"] for k, v in new.metrics.items()} == {k: v["value"] for k, v in old.metrics.items()}
    assert new.model == old.model and new.dataset == old.dataset and new.timings == old.timings
    assert new.config["rescored"]["log_sha256"] == old.samples["sha256"]
    assert new.config["rescored"]["before"]["version"] == old.task["version"]
    assert written == tmp_path / folder_name(old.model["label"]) / folder_name(old.task["spec"])
    assert results.read(written).metrics == new.metrics  # written as a run is, log and all


def test_a_metric_change_reaches_the_rescored_numbers(tmp_path):
    """Plant a prediction at the ANLS edge (NL = 0.5 exactly) into a copy of the committed run:
    rescoring scores it with today's rule, whatever the log said."""
    run = _copy(DOCVQA, tmp_path / "run")

    def plant(row):
        if row["id"] == "10":  # gold T-5467
            row["requests"][0]["response"] = "T-5xxx"  # 3 edits of 6
    _rewrite_log(run, plant)
    new, written = rescore(run, tmp_path / "out")
    [sample] = [s for s in results.read_samples(written) if s["id"] == "10"]
    assert sample["scores"]["anls"] == 0.5 and sample["scores"]["anls:variant=paper"] == 0.0
    assert new.metrics["anls"]["n"] == 758


def test_rescoring_refuses_a_run_whose_prompts_changed(tmp_path):
    run = _copy(BAMBOOGLE, tmp_path / "run")

    def reword(row):
        row["requests"][0]["request"]["prompt"] = row["requests"][0]["request"]["prompt"].replace("Question:", "Q:")
    _rewrite_log(run, reword)
    with pytest.raises(ConfigError, match="prompts changed since the run"):
        rescore(run, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_rescores_what_it_can_and_names_what_it_cannot(tmp_path):
    runs = tmp_path / "runs"
    _copy(BAMBOOGLE, runs / "bamboogle" / "smollm2-135m")
    broken = _copy(BAMBOOGLE, runs / "bamboogle_broken" / "smollm2-135m")
    _rewrite_log(broken, lambda row: row["requests"][0]["request"].update(max_tokens=7))
    res = run_cli("rescore", str(runs), "--out", str(tmp_path / "out"))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "1 run(s) not rescored" in res.stderr and "bamboogle_broken" in res.stderr
    assert (tmp_path / "out" / "smollm2-135m" / "bamboogle" / "results.json").is_file()


def test_cli_prints_each_metric_before_and_after(tmp_path):
    """The planted edge case lowers the paper variant's ANLS: the CLI shows that change, and no other."""
    run = _copy(DOCVQA, tmp_path / "run")
    _rewrite_log(run, lambda row: row["requests"][0].update(response="T-5xxx") if row["id"] == "10" else None)
    res = run_cli("rescore", str(run), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    old, new = results.read(DOCVQA), results.read(next((tmp_path / "out").rglob("results.json")).parent)
    lines = {line.split()[0]: line.split()[1:] for line in res.stdout.splitlines() if line.startswith("  anls")}
    paper = lines["anls:variant=paper"]
    assert paper[2] == f"{new.metrics['anls:variant=paper']['value'] - old.metrics['anls:variant=paper']['value']:+.4g}"
    assert paper[2].startswith("-")
    assert all(v[2] != "-" for k, v in lines.items() if old.metrics[k]["value"] != new.metrics[k]["value"])
