import json
import os
import typing

import jsonschema
import pytest

from claimbench.harness import atomic, evaluate, results
from claimbench.harness.errors import ConfigError


def test_written_results_validate_against_the_schema_file(tmp_path):
    evaluate("scripted", ["demo_arithmetic", "demo_choice"], output=tmp_path, cache=":memory:", command=["claimbench", "run"])
    def required(typed) -> set[str]:
        hints = typing.get_type_hints(typed, include_extras=True)
        return {k for k, t in hints.items() if typing.get_origin(t) is not typing.NotRequired}

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


def _killed_between_renames(tmp_path):
    """A full run's results.json beside the samples.jsonl of a later 10-row run: what a kill between the
    second run's two renames leaves."""
    evaluate("scripted", ["demo_arithmetic"], output=tmp_path / "full", cache=":memory:")
    evaluate("scripted", ["demo_arithmetic"], output=tmp_path / "short", cache=":memory:", limit=10)
    task_dir = tmp_path / "full" / "demo_arithmetic"
    (task_dir / "samples.jsonl").write_bytes((tmp_path / "short" / "demo_arithmetic" / "samples.jsonl").read_bytes())
    return task_dir


def test_results_record_their_samples_and_readers_refuse_a_mismatched_pair(tmp_path):
    from conftest import run_cli

    task_dir = _killed_between_renames(tmp_path)
    data = json.loads((task_dir / "results.json").read_text())
    assert data["samples"]["rows"] == 60 and len(data["samples"]["sha256"]) == 64
    with pytest.raises(ConfigError, match="does not belong with"):
        results.read(task_dir)
    for args in (["show", str(task_dir)], ["compare", str(task_dir), str(task_dir)], ["report", str(task_dir)],
                 ["publish", str(task_dir), "--dest", str(tmp_path / "pub")]):
        res = run_cli(*args)
        assert res.returncode == 2 and "does not belong with" in res.stderr and "60 sample rows" in res.stderr, args
    rerun = run_cli("run", "--model", "scripted", "--tasks", "demo_arithmetic", "--output", str(tmp_path / "full"),
                    "--cache", ":memory:", "--no-progress")
    assert rerun.returncode == 0 and results.read(task_dir).counts["rows"] == 60


def test_orphan_temp_files_of_dead_writers_are_removed(tmp_path):
    evaluate("scripted", ["demo_choice"], output=tmp_path, cache=":memory:")
    folder = tmp_path / "demo_choice"
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    orphan = folder / f".results.json.{dead}-{'a' * 32}.tmp"
    live = folder / f".samples.jsonl.{os.getpid()}-{'b' * 32}.tmp"
    orphan.write_text("half a file")
    live.write_text("being written")
    evaluate("scripted", ["demo_choice"], output=tmp_path, cache=":memory:")
    assert not orphan.exists() and live.exists()


def test_typed_records_and_the_schema_name_the_same_keys(tmp_path):
    """harness/records.py (what readers are typed against) and the JSON Schema (what files are
    checked against) list the same fields, and a real run's files fit both."""
    import typing

    from claimbench.harness import records

    def required(typed) -> set[str]:
        hints = typing.get_type_hints(typed, include_extras=True)
        return {k for k, t in hints.items() if typing.get_origin(t) is not typing.NotRequired}

    schema = json.loads(results.SCHEMA_PATH.read_text())
    props = schema["properties"]
    parts = {"task": records.TaskInfo, "dataset": records.DatasetInfo, "model": records.ModelInfo,
             "counts": records.Counts, "timings": records.Timings, "samples": records.SamplesInfo}
    for key, typed in parts.items():
        assert set(typing.get_type_hints(typed)) == set(props[key]["properties"]), key
        assert set(props[key].get("required", ())) == required(typed), key
    metric = props["metrics"]["additionalProperties"]
    assert set(typing.get_type_hints(records.MetricEntry)) == set(metric["properties"])
    assert set(metric["required"]) == required(records.MetricEntry)
    fields = {f.name for f in __import__("dataclasses").fields(results.RunResult)}
    assert fields == set(props)
    [r] = evaluate("scripted", ["demo_arithmetic:method=decompose"], output=tmp_path, cache=":memory:", limit=5)
    hints = set(typing.get_type_hints(records.SampleRecord))
    for line in next(tmp_path.iterdir()).joinpath("samples.jsonl").read_text().splitlines():
        sample = json.loads(line)
        assert required(records.SampleRecord) <= set(sample) <= hints
        assert all(set(q) == {"request", "response"} for q in sample["requests"])
