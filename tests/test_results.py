import json
import os

import jsonschema
import pytest

from harness import atomic, evaluate, results
from harness.errors import ConfigError


def test_written_results_validate_against_the_schema_file(tmp_path):
    evaluate("scripted", ["demo_arithmetic", "demo_choice"], output=tmp_path, cache=":memory:", command=["claimbench", "run"])
    schema = json.loads(results.SCHEMA_PATH.read_text())
    files = results.find(tmp_path)
    assert len(files) == 2
    for f in files:
        data = json.loads(f.read_text())
        jsonschema.validate(data, schema)  # the schema itself, independent of our wrapper
        for m in data["metrics"].values():
            assert {"value", "stderr", "ci", "n", "higher_is_better"} <= set(m)
        assert data["model"]["testing_only"] is True
        assert len(data["dataset"]["fingerprint"]) == 64
        assert data["environment"]["packages"]["claimbench"] == "0.1.0"
        samples = (f.parent / "samples.jsonl").read_text().splitlines()
        assert len(samples) == data["counts"]["rows"]
        first = json.loads(samples[0])
        assert {"id", "row", "requests", "prediction", "references", "scores"} <= set(first)
        assert results.read(f.parent).task == data["task"]


def test_invalid_result_is_rejected_with_the_field(tmp_path):
    [r] = evaluate("scripted", ["demo_choice"], output=tmp_path, cache=":memory:")
    data = r.to_json()
    data["metrics"]["accuracy"]["n"] = -1
    with pytest.raises(ConfigError, match="metrics/accuracy/n"):
        results.validate(data)
    with pytest.raises(ConfigError, match="no results.json"):
        results.read(tmp_path / "nowhere")


def test_no_temp_files_left_behind(tmp_path):
    evaluate("scripted", ["demo_choice"], output=tmp_path, cache=":memory:")
    names = sorted(p.name for p in (tmp_path / "demo_choice").iterdir())
    assert names == ["results.json", "samples.jsonl"]


def test_atomic_writes_get_the_permissions_open_would_give(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644  # mkstemp alone would give 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind
